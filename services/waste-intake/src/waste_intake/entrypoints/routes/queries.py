"""Routes through which a facility reads back its own flows: recent events, one flow's
history, and a daily summary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from waste_intake.domain.ledger import FlowHistory
from waste_intake.domain.summary import DailySummary, summarise
from waste_intake.entrypoints.deps import Deps, EventIdPath, Facility
from waste_intake.entrypoints.responses import FACILITY_AUTH_RESPONSES, ProblemBody

router = APIRouter(
    prefix="/v1/facilities/{facility_id}",
    tags=["queries"],
    responses=FACILITY_AUTH_RESPONSES,
)


class FlowView(BaseModel):
    event_id: str
    status: str  # recorded | corrected | voided
    current: dict[str, Any]
    history: list[dict[str, Any]]


def view_of(flow: FlowHistory) -> FlowView:
    status = "voided" if flow.voided else "corrected" if len(flow.versions) > 1 else "recorded"
    history = [
        {"type": e.event_type, "event": e.model_dump(mode="json"), "offset": loc.offset}
        for e, loc in flow.versions
    ]
    return FlowView(
        event_id=flow.original.event_id,
        status=status,
        current=flow.current.model_dump(mode="json"),
        history=history,
    )


@router.get("/events", summary="The facility's most recently reported flows, newest first")
async def recent_events(
    facility_id: Facility, deps: Deps, limit: Annotated[int, Query(ge=1)] = 50
) -> list[FlowView]:
    if limit > deps.settings.max_recent_events:
        reason = f"limit is at most {deps.settings.max_recent_events}"
        detail = [{"loc": ["query", "limit"], "msg": reason, "type": "less_than_equal"}]
        raise HTTPException(status_code=422, detail=detail)
    return [view_of(f) for f in deps.ledger.recent(facility_id, limit)]


@router.get(
    "/events/{event_id}",
    summary="One flow with its corrections and void",
    responses={404: {"model": ProblemBody, "description": "no such event of this facility"}},
)
async def one_event(facility_id: Facility, event_id: EventIdPath, deps: Deps) -> FlowView:
    flow = deps.ledger.history(f"{facility_id}/{event_id}")
    if flow is None:
        raise HTTPException(status_code=404, detail=f"no event {event_id!r} of yours")
    return view_of(flow)


@router.get("/summary/daily", summary="What the facility's flows of one local day add up to")
async def daily_summary(
    facility_id: Facility,
    deps: Deps,
    day: Annotated[date | None, Query(alias="date", description="default: today")] = None,
) -> DailySummary:
    tz = ZoneInfo(deps.settings.summary_timezone)
    day = day or datetime.now(tz).date()
    return summarise(facility_id, deps.ledger.flows_of(facility_id), day, tz)
