"""Transfer applications: the shipper applies at its origin province's node; the origin's
officials accept, ask for corrections, consult and decide; the destination's officials
answer the consultation at their own node."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from hazardous_transfer.entrypoints.access import application_scope, bound, reader_of
from hazardous_transfer.entrypoints.commanding import (
    Verdict,
    command_id,
    derived_id,
    pass_record,
    pass_visible,
    read_visible,
    send_command,
)
from hazardous_transfer.entrypoints.deps import ActorDep, Caller, Deps, OfficialAct, ShipperAct
from hazardous_transfer.entrypoints.problems import Problem
from hazardous_transfer.schemas import AnswerBody, ApplyBody, CorrectionsBody, Empty, RefuseBody
from hazardous_transfer.service.queries import Search
from zw_shared.contracts.hazardous_commands import CommandName

router = APIRouter(prefix="/applications", tags=["applications"])
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": Problem,
        "description": "no token, or one that cannot be trusted: the reason says which",
    },
    403: {"model": Problem, "description": "the actor may not do this"},
    404: {"model": Problem, "description": "no such application at this node"},
    409: {"model": Problem, "description": "out of order, or done already"},
    422: {"model": Problem, "description": "a rule refuses it; the reason says which"},
    503: {"model": Problem, "description": "the broker is not reachable: nothing was recorded"},
    504: {
        "model": Problem,
        "description": "no verdict in time: retry with the same Idempotency-Key",
    },
}
# Reads answer the worker's JSON as it is (not parsed and written again by the API).
READ: dict[int | str, dict[str, Any]] = {
    200: {"description": "the record", "content": {"application/json": {}}},
    401: REFUSALS[401],
    403: {
        "model": Problem,
        "description": "neither a party to the record nor an official of its provinces",
    },
    404: REFUSALS[404],
}
FOUND: dict[int | str, dict[str, Any]] = {
    200: {"description": "the records found (a JSON list)", "content": {"application/json": {}}},
    401: REFUSALS[401],
    403: {"model": Problem, "description": "a search for records of others"},
    422: {"model": Problem, "description": "a search parameter is not valid; the detail names it"},
}


@router.post("", status_code=201, response_model=Verdict, responses=REFUSALS)
async def apply(body: ApplyBody, deps: Deps, actor: ShipperAct) -> Verdict:
    origin = body.details.origin_province
    if origin not in deps.settings.served:
        raise HTTPException(403, f"apply at the node of province {origin}")
    cmd_id = command_id(deps, actor)
    target = derived_id("TA", cmd_id)
    return await send_command(deps, actor, CommandName.APPLY, target, origin, body, cmd_id)


async def _step(
    deps: Deps, actor: ActorDep, name: CommandName, application_id: str, body: Any = None
) -> Verdict:
    path, what = f"/records/applications/{application_id}", f"application {application_id}"
    record = await read_visible(deps, path, actor.reader(), application_scope, what)
    origin = record["details"]["origin_province"]
    return await send_command(deps, actor, name, application_id, origin, body)


@router.post("/{application_id}/corrections", responses=REFUSALS)
async def request_corrections(
    application_id: str, body: CorrectionsBody, deps: Deps, actor: OfficialAct
) -> Verdict:
    """The origin asks for every correction at once."""
    return await _step(deps, actor, CommandName.REQUEST_CORRECTIONS, application_id, body)


@router.post("/{application_id}/resubmission", responses=REFUSALS)
async def resubmit(application_id: str, body: ApplyBody, deps: Deps, actor: ShipperAct) -> Verdict:
    return await _step(deps, actor, CommandName.RESUBMIT, application_id, body)


@router.post("/{application_id}/acceptance", responses=REFUSALS)
async def accept(application_id: str, deps: Deps, actor: OfficialAct) -> Verdict:
    return await _step(deps, actor, CommandName.ACCEPT, application_id, Empty())


@router.post("/{application_id}/consultation", responses=REFUSALS)
async def consult(application_id: str, deps: Deps, actor: OfficialAct) -> Verdict:
    """The origin's 商请函 to the destination province."""
    return await _step(deps, actor, CommandName.CONSULT, application_id, Empty())


@router.post("/{application_id}/answer", responses=REFUSALS)
async def answer(application_id: str, body: AnswerBody, deps: Deps, actor: OfficialAct) -> Verdict:
    """The destination's 复函, given at the destination's node."""
    return await _step(deps, actor, CommandName.ANSWER, application_id, body)


@router.post("/{application_id}/approval", responses=REFUSALS)
async def approve(application_id: str, deps: Deps, actor: OfficialAct) -> Verdict:
    return await _step(deps, actor, CommandName.APPROVE, application_id, Empty())


@router.post("/{application_id}/refusal", responses=REFUSALS)
async def refuse(application_id: str, body: RefuseBody, deps: Deps, actor: OfficialAct) -> Verdict:
    return await _step(deps, actor, CommandName.REFUSE, application_id, body)


@router.get("/{application_id}", response_class=Response, responses=READ)
async def get_application(application_id: str, deps: Deps, caller: Caller) -> Response:
    """For its shipper and receiver, and the officials of its origin and destination."""
    path, what = f"/records/applications/{application_id}", f"application {application_id}"
    return await pass_visible(deps, path, reader_of(caller), application_scope, what)


@router.get("", response_class=Response, responses=FOUND)
async def search_applications(
    deps: Deps, caller: Caller, search: Annotated[Search, Query()]
) -> Response:
    """By province (origin or destination), party, status, waste code and date (Beijing);
    only the caller's own (a party's) or its province's (an official's)."""
    params = bound(search, reader_of(caller)).model_dump(mode="json", exclude_none=True)
    return await pass_record(deps, "/records/applications", params)
