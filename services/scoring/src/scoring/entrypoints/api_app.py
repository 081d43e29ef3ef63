"""The scoring API's FastAPI application: routes and operational endpoints, wired to the
views, the score board and the broker probe given by :mod:`scoring.bootstrap`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from scoring.adapters.broker_probe import BrokerProbe
from scoring.adapters.change_feed import ChangeFeed
from scoring.adapters.compacted_view import CompactedView, Latest
from scoring.adapters.score_metrics import MONTH_SCORES
from scoring.entrypoints.access import Officials
from scoring.entrypoints.routes import (
    assessments,
    cells,
    city,
    dashboard,
    events,
    scores,
    session,
)
from scoring.queries import ScoreBoard
from zw_shared.adapters.publisher import EventPublisher
from zw_shared.contracts.scoring import CellTotalsUpdated
from zw_shared.observability import MetricsMiddleware, health_router
from zw_shared.openapi import declare_unreadable_bodies


@dataclass(frozen=True)
class ApiDeps:
    views: Sequence[CompactedView[Any]]
    totals: Latest[CellTotalsUpdated]
    board: ScoreBoard
    probe: BrokerProbe
    publisher: EventPublisher
    assessments_topic: str
    event_source: str
    readiness_timeout_s: float
    feed: ChangeFeed
    officials: Officials


def create_api(deps: ApiDeps) -> FastAPI:
    views, probe = deps.views, deps.probe
    for view in views:
        view.subscribe(deps.feed.notify)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await deps.publisher.start()
        for view in views:
            await view.start()
        try:
            yield
        finally:
            for view in views:
                await view.stop()
            await deps.publisher.stop()
            await probe.close()

    async def ready_check() -> dict[str, bool]:
        return {
            "kafka": await probe.answers(deps.readiness_timeout_s),
            "views_caught_up": all(view.caught_up for view in views),
        }

    app = FastAPI(
        title="zero-waste city: scoring",
        summary="Running totals, scores and rankings of zero-waste cells",
        lifespan=lifespan,
    )
    app.state.totals = deps.totals
    app.state.score_board = deps.board
    app.state.publisher = deps.publisher
    app.state.assessments_topic = deps.assessments_topic
    app.state.event_source = deps.event_source
    app.state.change_feed = deps.feed
    MONTH_SCORES.watch(deps.board)  # the month's scores on /metrics
    app.state.officials = deps.officials
    app.add_middleware(MetricsMiddleware)
    app.include_router(health_router(ready_check))
    app.include_router(cells.router)
    app.include_router(scores.router)
    app.include_router(assessments.router)
    app.include_router(city.router)
    app.include_router(events.router)
    app.include_router(session.router)
    app.include_router(dashboard.router)
    declare_unreadable_bodies(app)
    return app
