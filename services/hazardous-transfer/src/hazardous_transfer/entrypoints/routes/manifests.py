"""Manifests (联单): drafted by the shipper at its origin's node, then signed in order by
the carriers and the receiver (the receiver may sign at the destination's node)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from hazardous_transfer.entrypoints.access import bound, manifest_scope, reader_of
from hazardous_transfer.entrypoints.commanding import (
    Verdict,
    pass_record,
    pass_visible,
    read_visible,
    send_command,
)
from hazardous_transfer.entrypoints.deps import (
    ActorDep,
    Caller,
    CarrierAct,
    Deps,
    ReceiverAct,
    ShipperAct,
)
from hazardous_transfer.entrypoints.routes.applications import FOUND, READ, REFUSALS
from hazardous_transfer.schemas import (
    CorrectionBody,
    DraftBody,
    Empty,
    ReceiptBody,
    ReceiptCorrectionBody,
    TransportBody,
)
from hazardous_transfer.service.queries import Search
from zw_shared.contracts.hazardous_commands import CommandName

router = APIRouter(prefix="/manifests", tags=["manifests"])
HISTORY: dict[int | str, dict[str, Any]] = {code: READ[code] for code in (401, 403, 404)}


@router.post("", status_code=201, response_model=Verdict, responses=REFUSALS)
async def draft(body: DraftBody, deps: Deps, actor: ShipperAct) -> Verdict:
    """The number is given by the origin node: ``record_id`` of the answer."""
    origin = body.origin_province
    if origin not in deps.settings.served:
        raise HTTPException(403, f"draft at the node of province {origin}")
    target = f"{origin}{body.origin_prefecture}"  # the serial counter's partition
    return await send_command(deps, actor, CommandName.DRAFT_MANIFEST, target, origin, body)


async def _sign(
    deps: Deps, actor: ActorDep, name: CommandName, manifest_no: str, body: Any
) -> Verdict:
    path, what = f"/records/manifests/{manifest_no}", f"manifest {manifest_no}"
    record = await read_visible(deps, path, actor.reader(), manifest_scope, what)
    return await send_command(deps, actor, name, manifest_no, record["origin_province"], body)


@router.post("/{manifest_no}/pickup", responses=REFUSALS)
async def pick_up(manifest_no: str, body: TransportBody, deps: Deps, actor: CarrierAct) -> Verdict:
    return await _sign(deps, actor, CommandName.PICK_UP, manifest_no, body)


@router.post("/{manifest_no}/handovers", responses=REFUSALS)
async def hand_over(
    manifest_no: str, body: TransportBody, deps: Deps, actor: CarrierAct
) -> Verdict:
    """The next carrier of a relay signs for the load."""
    return await _sign(deps, actor, CommandName.HAND_OVER, manifest_no, body)


@router.post("/{manifest_no}/delivery", responses=REFUSALS)
async def deliver(manifest_no: str, deps: Deps, actor: CarrierAct) -> Verdict:
    return await _sign(deps, actor, CommandName.DELIVER, manifest_no, Empty())


@router.post("/{manifest_no}/receipt", responses=REFUSALS)
async def receive(manifest_no: str, body: ReceiptBody, deps: Deps, actor: ReceiverAct) -> Verdict:
    return await _sign(deps, actor, CommandName.RECEIVE, manifest_no, body)


@router.post("/{manifest_no}/processing", responses=REFUSALS)
async def process(manifest_no: str, deps: Deps, actor: ReceiverAct) -> Verdict:
    return await _sign(deps, actor, CommandName.PROCESS, manifest_no, Empty())


@router.post("/{manifest_no}/corrections", responses=REFUSALS)
async def correct(manifest_no: str, body: CorrectionBody, deps: Deps, actor: ShipperAct) -> Verdict:
    """A new version of the shipper's declaration; the earlier ones stay in the history."""
    return await _sign(deps, actor, CommandName.CORRECT_MANIFEST, manifest_no, body)


@router.post("/{manifest_no}/receipt-corrections", responses=REFUSALS)
async def correct_receipt(
    manifest_no: str, body: ReceiptCorrectionBody, deps: Deps, actor: ReceiverAct
) -> Verdict:
    """The receiver's new version of its receipt (until processed); the earlier versions
    stay in ``receipt_history``."""
    return await _sign(deps, actor, CommandName.CORRECT_RECEIPT, manifest_no, body)


@router.get("/{manifest_no}", response_class=Response, responses=READ)
async def get_manifest(manifest_no: str, deps: Deps, caller: Caller) -> Response:
    """For its shipper, carriers and receiver, and the officials of its origin and
    destination."""
    path, what = f"/records/manifests/{manifest_no}", f"manifest {manifest_no}"
    return await pass_visible(deps, path, reader_of(caller), manifest_scope, what)


@router.get("/{manifest_no}/history", responses=HISTORY)
async def history(manifest_no: str, deps: Deps, caller: Caller) -> dict[str, Any]:
    """Every signature and event in order, every version of the declaration and every
    version of the receipt (oldest first); for those who may read the manifest."""
    path, what = f"/records/manifests/{manifest_no}", f"manifest {manifest_no}"
    record = await read_visible(deps, path, reader_of(caller), manifest_scope, what)
    current = [record["receipt"]] if record.get("receipt") else []
    receipts = [*record.get("receipt_history", ()), *current]
    return {"manifest_no": manifest_no, "log": record["log"], "versions": record["versions"],
            "receipts": receipts}  # fmt: skip


@router.get("", response_class=Response, responses=FOUND)
async def search_manifests(
    deps: Deps, caller: Caller, search: Annotated[Search, Query()]
) -> Response:
    """By province (origin or destination), party, status, waste code and date (Beijing);
    only the caller's own (a party's) or its province's (an official's)."""
    params = bound(search, reader_of(caller)).model_dump(mode="json", exclude_none=True)
    return await pass_record(deps, "/records/manifests", params)
