"""Corrections and voids: a facility amends one of its earlier flows by a new event that
references it; the earlier events stay in the history."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from waste_intake.domain.errors import FieldError
from waste_intake.domain.flows import ID_PATTERN, FlowReport
from waste_intake.domain.ledger import FlowHistory
from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded, WasteFlowVoided


class CorrectionReport(FlowReport):
    """The corrected flow in full; ``event_id`` is the correction's own id."""

    reason: str = Field(min_length=1, max_length=500, description="why the flow is corrected")


class VoidReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(
        min_length=1, max_length=64, pattern=ID_PATTERN, description="the void's own id"
    )
    reason: str = Field(min_length=1, max_length=500, description="why the flow is withdrawn")


def amendment_problem(history: FlowHistory | None, target_event_id: str) -> FieldError | None:
    """Why the flow cannot be amended (None: it can)."""
    if history is None:
        return FieldError("event_id", f"no event {target_event_id!r} of yours", "unknown_event")
    if history.voided:
        reason = f"event {target_event_id!r} is voided; it cannot be amended"
        return FieldError("event_id", reason, "already_voided")
    return None


def to_corrected(
    original: WasteFlowRecorded, flow: WasteFlowRecorded, reason: str
) -> WasteFlowCorrected:
    data = flow.model_dump()
    data["corrects_event_id"] = original.event_id
    data["reason"] = reason
    return WasteFlowCorrected(**data)


def to_voided(original: WasteFlowRecorded, report: VoidReport) -> WasteFlowVoided:
    return WasteFlowVoided(
        event_id=report.event_id,
        voids_event_id=original.event_id,
        reason=report.reason,
        facility_id=original.facility_id,
        cell_id=original.cell_id,
    )
