"""Manifests (联单): drafted by the shipper at its origin's node, then signed in order by
the carriers and the receiver (the receiver may sign at the destination's node)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from hazardous_transfer.entrypoints.commanding import (
    Verdict,
    pass_record,
    read_record,
    send_command,
)
from hazardous_transfer.entrypoints.deps import ActorDep, Deps
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


@router.post("", status_code=201, response_model=Verdict, responses=REFUSALS)
async def draft(body: DraftBody, deps: Deps, actor: ActorDep) -> Verdict:
    """The number is given by the origin node: ``record_id`` of the answer."""
    origin = body.origin_province
    if origin not in deps.settings.served:
        raise HTTPException(403, f"draft at the node of province {origin}")
    target = f"{origin}{body.origin_prefecture}"  # the serial counter's partition
    return await send_command(deps, actor, CommandName.DRAFT_MANIFEST, target, origin, body)


async def _sign(
    deps: Deps, actor: ActorDep, name: CommandName, manifest_no: str, body: Any
) -> Verdict:
    record = await read_record(deps, f"/records/manifests/{manifest_no}")
    return await send_command(deps, actor, name, manifest_no, record["origin_province"], body)


@router.post("/{manifest_no}/pickup", responses=REFUSALS)
async def pick_up(manifest_no: str, body: TransportBody, deps: Deps, actor: ActorDep) -> Verdict:
    return await _sign(deps, actor, CommandName.PICK_UP, manifest_no, body)


@router.post("/{manifest_no}/handovers", responses=REFUSALS)
async def hand_over(manifest_no: str, body: TransportBody, deps: Deps, actor: ActorDep) -> Verdict:
    """The next carrier of a relay signs for the load."""
    return await _sign(deps, actor, CommandName.HAND_OVER, manifest_no, body)


@router.post("/{manifest_no}/delivery", responses=REFUSALS)
async def deliver(manifest_no: str, deps: Deps, actor: ActorDep) -> Verdict:
    return await _sign(deps, actor, CommandName.DELIVER, manifest_no, Empty())


@router.post("/{manifest_no}/receipt", responses=REFUSALS)
async def receive(manifest_no: str, body: ReceiptBody, deps: Deps, actor: ActorDep) -> Verdict:
    return await _sign(deps, actor, CommandName.RECEIVE, manifest_no, body)


@router.post("/{manifest_no}/processing", responses=REFUSALS)
async def process(manifest_no: str, deps: Deps, actor: ActorDep) -> Verdict:
    return await _sign(deps, actor, CommandName.PROCESS, manifest_no, Empty())


@router.post("/{manifest_no}/corrections", responses=REFUSALS)
async def correct(manifest_no: str, body: CorrectionBody, deps: Deps, actor: ActorDep) -> Verdict:
    """A new version of the shipper's declaration; the earlier ones stay in the history."""
    return await _sign(deps, actor, CommandName.CORRECT_MANIFEST, manifest_no, body)


@router.post("/{manifest_no}/receipt-corrections", responses=REFUSALS)
async def correct_receipt(
    manifest_no: str, body: ReceiptCorrectionBody, deps: Deps, actor: ActorDep
) -> Verdict:
    """The receiver's new version of its receipt (until processed); the earlier versions
    stay in ``receipt_history``."""
    return await _sign(deps, actor, CommandName.CORRECT_RECEIPT, manifest_no, body)


@router.get("/{manifest_no}", response_class=Response, responses=READ)
async def get_manifest(manifest_no: str, deps: Deps) -> Response:
    return await pass_record(deps, f"/records/manifests/{manifest_no}")


@router.get("/{manifest_no}/history", responses={404: REFUSALS[404]})
async def history(manifest_no: str, deps: Deps) -> dict[str, Any]:
    """Every signature and event in order, every version of the declaration and every
    version of the receipt (oldest first)."""
    record = await read_record(deps, f"/records/manifests/{manifest_no}")
    current = [record["receipt"]] if record.get("receipt") else []
    receipts = [*record.get("receipt_history", ()), *current]
    return {"manifest_no": manifest_no, "log": record["log"], "versions": record["versions"],
            "receipts": receipts}  # fmt: skip


@router.get("", response_class=Response, responses=FOUND)
async def search_manifests(deps: Deps, search: Annotated[Search, Query()]) -> Response:
    """By province (origin or destination), party, status, waste code and date (Beijing)."""
    params = search.model_dump(mode="json", exclude_none=True)
    return await pass_record(deps, "/records/manifests", params)
