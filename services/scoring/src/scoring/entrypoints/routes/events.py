"""GET /v1/events/stream: server-sent events, one per change the API's views see (a cell's
totals, a month of its flows, a registration), for the dashboard to refresh what it shows.

Each event's ``data`` is JSON ``{"seq", "kind", "key", "cell_id", "period"}``; ``kind`` is
totals | month | cell | deleted | resync (the client fell behind: re-read everything). The
first event is ``kind: "hello"``. Comments (``: ping``) keep idle connections open."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from scoring.adapters.change_feed import ChangeFeed, TooManyClients
from scoring.entrypoints.access import DENIED, Reader

router = APIRouter(prefix="/v1/events", tags=["live updates"])

RETRY_MS = 3000  # what the browser waits before it reconnects (sent in the first event)


def _feed(request: Request) -> ChangeFeed:
    feed: ChangeFeed = request.app.state.change_feed
    return feed


Feed = Annotated[ChangeFeed, Depends(_feed)]


@router.get(
    "/stream",
    summary="Live changes as server-sent events (text/event-stream)",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "example": 'id: 7\ndata: {"seq": 7, "kind": "month", "key": '
                    '"cell-1/2026-11", "cell_id": "cell-1", "period": "2026-11"}\n\n'
                }
            }
        },
        503: {"description": "too many live clients connected; retry later"},
        **DENIED,
    },
)
async def stream(feed: Feed, caller: Reader) -> EventSourceResponse:
    """Ends when the caller's token expires: the browser reconnects and must sign in again."""
    if feed.full:
        raise HTTPException(503, detail=f"{feed.max_clients} live clients connected; retry later")
    return EventSourceResponse(
        _events(feed, caller.exp),
        ping=feed.ping_s,
        send_timeout=feed.send_timeout_s,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(feed: ChangeFeed, until: datetime) -> AsyncIterator[ServerSentEvent]:
    """Subscribes when the response starts and unsubscribes when it ends (the client went
    away, a send timed out, the server shuts down or the token expired)."""
    try:
        subscription = feed.subscribe()
    except TooManyClients:
        return
    try:
        hello = {"seq": 0, "kind": "hello", "clients": feed.clients}
        yield ServerSentEvent(data=json.dumps(hello), retry=RETRY_MS)
        while True:
            left = (until - datetime.now(UTC)).total_seconds()
            try:
                change = await asyncio.wait_for(subscription.next(), max(left, 0))
            except TimeoutError:
                return
            yield ServerSentEvent(data=json.dumps(change.as_dict()), id=str(change.seq))
    finally:
        feed.unsubscribe(subscription)
