"""The admin API: register zero-waste cells and facilities, issue facility API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from waste_intake.domain.ledger import Location
from waste_intake.entrypoints.deps import Admin, AdminOnly, CellIdPath, Deps, FacilityIdPath
from waste_intake.entrypoints.examples import CELL_EXAMPLES, FACILITY_EXAMPLES
from waste_intake.entrypoints.responses import ProblemBody, rejected_response
from waste_intake.handlers.outcomes import Rejected
from zw_shared.contracts.waste import CellRegistered, FacilityRegistered

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=AdminOnly)
ADMIN_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemBody, "description": "missing or wrong admin token"},
    503: {"description": "the broker did not acknowledge"},
}


class Registered(BaseModel):
    status: str = "registered"
    id: str
    topic: str
    partition: int
    offset: int

    @classmethod
    def at(cls, id_: str, location: Location) -> Registered:
        return cls(
            id=id_, topic=location.topic, partition=location.partition, offset=location.offset
        )


class IssuedKeyBody(BaseModel):
    facility_id: str
    api_key: str
    note: str = "shown once: only its SHA-256 is kept"


@router.put(
    "/cells/{cell_id}", summary="Create or update a zero-waste cell", responses=ADMIN_RESPONSES
)
async def put_cell(
    cell_id: CellIdPath,
    cell: Annotated[CellRegistered, Body(openapi_examples=CELL_EXAMPLES)],
    admin: Admin,
) -> Registered:
    _same_id(cell_id, cell.cell_id, "cell_id")
    return Registered.at(cell_id, await admin.register_cell(cell))


@router.put(
    "/facilities/{facility_id}",
    summary="Create or update a facility (its cell must be registered)",
    response_model=Registered,
    responses=ADMIN_RESPONSES,
)
async def put_facility(
    facility_id: FacilityIdPath,
    facility: Annotated[FacilityRegistered, Body(openapi_examples=FACILITY_EXAMPLES)],
    admin: Admin,
) -> Registered | JSONResponse:
    _same_id(facility_id, facility.facility_id, "facility_id")
    outcome = await admin.register_facility(facility)
    if isinstance(outcome, Rejected):
        return rejected_response(outcome)
    return Registered.at(facility_id, outcome)


@router.post(
    "/facilities/{facility_id}/api-keys",
    status_code=201,
    summary="Issue the facility a new API key (its earlier key stops working)",
    responses={**ADMIN_RESPONSES, 404: {"model": ProblemBody}},
)
async def issue_key(facility_id: FacilityIdPath, admin: Admin) -> IssuedKeyBody:
    issued = await admin.issue_key(facility_id)
    if issued is None:
        raise HTTPException(status_code=404, detail=f"facility {facility_id!r} is not registered")
    return IssuedKeyBody(facility_id=facility_id, api_key=issued.api_key)


@router.get(
    "/facilities/{facility_id}",
    summary="A registered facility",
    responses={**ADMIN_RESPONSES, 404: {"model": ProblemBody}},
)
async def get_facility(facility_id: FacilityIdPath, deps: Deps) -> FacilityRegistered:
    facility = deps.registry.facilities.get(facility_id)
    if facility is None:
        raise HTTPException(status_code=404, detail=f"facility {facility_id!r} is not registered")
    return facility


@router.get(
    "/cells/{cell_id}",
    summary="A registered zero-waste cell",
    responses={**ADMIN_RESPONSES, 404: {"model": ProblemBody}},
)
async def get_cell(cell_id: CellIdPath, deps: Deps) -> CellRegistered:
    cell = deps.registry.cells.get(cell_id)
    if cell is None:
        raise HTTPException(status_code=404, detail=f"cell {cell_id!r} is not registered")
    return cell


def _same_id(path_id: str, body_id: str, field: str) -> None:
    if path_id != body_id:
        detail = [
            {
                "loc": ["body", field],
                "msg": f"must equal the path's {path_id!r}",
                "type": "id_mismatch",
            }
        ]
        raise HTTPException(status_code=422, detail=detail)
