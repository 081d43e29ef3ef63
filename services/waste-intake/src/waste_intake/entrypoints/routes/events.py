"""Routes through which a facility reports, corrects and voids its waste flows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from waste_intake.domain.amendments import CorrectionReport, VoidReport
from waste_intake.domain.flows import FlowReport
from waste_intake.entrypoints.deps import EventIdPath, Facility, Flows
from waste_intake.entrypoints.examples import CORRECTION_EXAMPLES, REPORT_EXAMPLES, VOID_EXAMPLES
from waste_intake.entrypoints.responses import (
    FACILITY_AUTH_RESPONSES,
    OUTCOME_RESPONSES,
    UNKNOWN_EVENT,
    AcceptedBody,
    outcome_response,
)

router = APIRouter(
    prefix="/v1/facilities/{facility_id}/events",
    tags=["waste-flow events"],
    responses=FACILITY_AUTH_RESPONSES,
)


@router.post(
    "",
    status_code=202,
    summary="Report one waste flow",
    response_model=AcceptedBody,
    responses=OUTCOME_RESPONSES,
)
async def post_event(
    facility_id: Facility,
    report: Annotated[FlowReport, Body(openapi_examples=REPORT_EXAMPLES)],
    flows: Flows,
) -> JSONResponse:
    return outcome_response(await flows.record(facility_id, report))


@router.post(
    "/{event_id}/corrections",
    status_code=202,
    summary="Correct an earlier flow: the new content replaces it; the history stays",
    response_model=AcceptedBody,
    responses={**OUTCOME_RESPONSES, **UNKNOWN_EVENT},
)
async def post_correction(
    facility_id: Facility,
    event_id: EventIdPath,
    report: Annotated[CorrectionReport, Body(openapi_examples=CORRECTION_EXAMPLES)],
    flows: Flows,
) -> JSONResponse:
    return outcome_response(await flows.correct(facility_id, event_id, report))


@router.post(
    "/{event_id}/void",
    status_code=202,
    summary="Void an earlier flow: it no longer counts; the history stays",
    response_model=AcceptedBody,
    responses={**OUTCOME_RESPONSES, **UNKNOWN_EVENT},
)
async def post_void(
    facility_id: Facility,
    event_id: EventIdPath,
    report: Annotated[VoidReport, Body(openapi_examples=VOID_EXAMPLES)],
    flows: Flows,
) -> JSONResponse:
    return outcome_response(await flows.void(facility_id, event_id, report))
