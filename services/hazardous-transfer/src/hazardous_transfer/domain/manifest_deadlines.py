"""The receiver confirms within 5 working days of delivery, or the manifest is overdue
(once). A late paper back-fill is flagged when it is entered (see ``manifest_commands``)."""

from __future__ import annotations

from datetime import datetime

from hazardous_transfer.domain.acts import SYSTEM
from hazardous_transfer.domain.manifest import Manifest, ManifestStatus
from hazardous_transfer.domain.policy import TransferPolicy
from zw_shared.contracts.hazardous import ManifestEvent, ManifestOverdue, ManifestStep


def receipt_deadline(state: Manifest, policy: TransferPolicy) -> datetime | None:
    if state.status is not ManifestStatus.DELIVERED or state.delivered_at is None:
        return None
    limit = policy.manifest_limits[ManifestStep.RECEIPT_CONFIRMATION]
    return policy.working_days.deadline(state.delivered_at, limit)


def check_deadlines(state: Manifest, now: datetime, policy: TransferPolicy) -> list[ManifestEvent]:
    step = ManifestStep.RECEIPT_CONFIRMATION
    deadline = receipt_deadline(state, policy)
    if deadline is None or now < deadline or step in state.overdue_steps:
        return []
    overdue = ManifestOverdue(
        command_id=f"{state.manifest_no}:overdue:{step.value}",
        occurred_at=deadline,
        actor=SYSTEM,
        manifest_no=state.manifest_no,
        origin_province=state.origin_province,
        destination_province=state.destination_province,
        step=step,
        deadline=deadline,
    )
    return [overdue]
