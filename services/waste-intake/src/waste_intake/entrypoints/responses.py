"""JSON bodies of the intake API's answers (also their OpenAPI schemas)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from waste_intake.domain.errors import FieldError
from waste_intake.handlers.outcomes import Accepted, Conflict, Outcome, Rejected


class AcceptedBody(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: str
    cloudevent_id: str
    topic: str
    partition: int
    offset: int

    @classmethod
    def of(cls, outcome: Accepted) -> AcceptedBody:
        return cls(
            status="duplicate" if outcome.duplicate else "accepted",
            event_id=outcome.event_id,
            cloudevent_id=outcome.cloudevent_id,
            topic=outcome.location.topic,
            partition=outcome.location.partition,
            offset=outcome.location.offset,
        )


class ProblemBody(BaseModel):
    detail: str


class FieldErrorBody(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class FieldErrorsBody(BaseModel):
    detail: list[FieldErrorBody]


class ConflictBody(BaseModel):
    """A reason (the id was used for other content) or the field errors (a voided flow)."""

    detail: str | list[FieldErrorBody]


class UnavailableBody(BaseModel):
    detail: str
    retryable: bool = True


def errors_detail(errors: list[FieldError]) -> list[dict[str, Any]]:
    """FastAPI's own validation-error shape, so a client parses one format."""
    return [{"loc": ["body", *e.field.split(".")], "msg": e.reason, "type": e.code} for e in errors]


def outcome_response(outcome: Outcome) -> JSONResponse:
    """202 accepted, 200 duplicate, 409 conflict (or a voided flow), 404 unknown event,
    422 rejected."""
    if isinstance(outcome, Accepted):
        status = 200 if outcome.duplicate else 202
        return JSONResponse(status_code=status, content=AcceptedBody.of(outcome).model_dump())
    if isinstance(outcome, Conflict):
        return JSONResponse(status_code=409, content={"detail": outcome.reason})
    return rejected_response(outcome)


def rejected_response(outcome: Rejected) -> JSONResponse:
    status = 404 if outcome.not_found else 409 if outcome.conflicting else 422
    return JSONResponse(status_code=status, content={"detail": errors_detail(outcome.errors)})


def unavailable_response(reason: str) -> JSONResponse:
    body = UnavailableBody(
        detail=f"the Kafka broker did not acknowledge the event, so nothing was recorded; "
        f"retry with the same event_id ({reason})"
    )
    return JSONResponse(status_code=503, content=body.model_dump(), headers={"Retry-After": "5"})


FACILITY_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemBody, "description": "missing or unknown API key"},
    403: {"model": ProblemBody, "description": "the key is another facility's"},
    503: {"model": UnavailableBody, "description": "starting: the registry is still being read"},
}
UNKNOWN_EVENT: dict[int | str, dict[str, Any]] = {
    404: {"model": FieldErrorsBody, "description": "no such event of this facility"},
}
OUTCOME_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": AcceptedBody, "description": "a duplicate: the same event was recorded before"},
    409: {
        "model": ConflictBody,
        "description": "the event id was used for different content, or the flow is voided",
    },
    422: {"description": "a field is missing or breaks a rule; `loc` names it"},
    503: {"model": UnavailableBody, "description": "the broker did not acknowledge"},
}
