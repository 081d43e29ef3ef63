"""POST an inspection or a satisfaction survey of a cell (answered 202 only after the
broker acknowledged the event; 503 when it did not): officials of the scored province only,
with their token in the Authorization header."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from scoring.entrypoints.access import DENIED, WRITERS
from zw_shared.adapters.publisher import BrokerUnavailable, EventPublisher
from zw_shared.contracts.registry import wrap
from zw_shared.contracts.scoring import CellAssessed

router = APIRouter(prefix="/v1/cells", tags=["assessments"], dependencies=WRITERS, responses=DENIED)


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessment_id: str = Field(min_length=1, max_length=128, description="unique; retry-safe")
    kind: Literal["inspection", "survey"]
    occurred_at: AwareDatetime
    assessor: str = Field(min_length=1, max_length=200)
    passed: bool | None = None
    serious_violation: bool = False
    falsified_report: bool = False
    satisfaction_score: float | None = Field(default=None, ge=0, le=100)
    notes: str | None = Field(default=None, max_length=2000)


class Accepted(BaseModel):
    assessment_id: str
    cell_id: str
    status: Literal["accepted"] = "accepted"


def _publisher(request: Request) -> EventPublisher:
    publisher: EventPublisher = request.app.state.publisher
    return publisher


Publisher = Annotated[EventPublisher, Depends(_publisher)]


@router.post(
    "/{cell_id}/assessments",
    status_code=202,
    summary="Record an inspection or a satisfaction survey of a cell",
    responses={422: {"description": "invalid body"}, 503: {"description": "broker down"}},
)
async def record_assessment(
    cell_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: AssessmentIn,
    request: Request,
    publisher: Publisher,
) -> Accepted:
    try:
        assessment = CellAssessed(cell_id=cell_id, **body.model_dump())
    except ValidationError as exc:
        detail = [{**err, "loc": ["body", *err["loc"]]} for err in exc.errors(include_url=False)]
        raise HTTPException(422, detail=_jsonable(detail)) from exc
    event = wrap(
        assessment,
        event_id=f"assessment/{assessment.assessment_id}",
        source=request.app.state.event_source,
        time=datetime.now(UTC),
        subject=cell_id,
    )
    try:
        await publisher.publish(request.app.state.assessments_topic, cell_id, event)
    except BrokerUnavailable as exc:
        raise HTTPException(503, detail=f"not recorded, try again: {exc}") from exc
    return Accepted(assessment_id=assessment.assessment_id, cell_id=cell_id)


def _jsonable(errors: list[dict[str, object]]) -> list[dict[str, object]]:
    """Where and why (pydantic's ``input`` and ``ctx`` may hold objects JSON cannot carry)."""
    return [{k: v for k, v in err.items() if k in ("loc", "msg", "type")} for err in errors]
