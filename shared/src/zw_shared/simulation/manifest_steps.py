"""The signatures and corrections of one manifest after its draft, in order, for each way a
manifest's day can end (pure). Times follow the draft: pickup after 30 minutes, a relay
handover after 2 hours, delivery after 4, receipt after 5, a corrected receipt after 6,
processing after 7; a shipper corrects its declaration 10 minutes after drafting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TRANSPORT = {
    "vehicle": "沪A12345",
    "transport_permit": "沪交运危 310000001",
    "route": "G60 via Songjiang",
}
# fate -> (accepted share, refused share) of the receipt, then of its correction
RECEIPTS: dict[str, tuple[tuple[float, float] | None, tuple[float, float] | None]] = {
    "closed": ((1.0, 0.0), None),
    "relay_closed": ((1.0, 0.0), None),
    "received_only": ((1.0, 0.0), None),
    "weight_discrepancy": ((0.88, 0.0), None),
    "weight_within_tolerance": ((0.98, 0.0), None),
    "partial_refusal": ((0.7, 0.3), None),
    "full_refusal": ((0.0, 1.0), None),
    "refusal_corrected_away": ((0.9, 0.1), (1.0, 0.0)),
    "receipt_corrected_to_refusal": ((1.0, 0.0), (0.8, 0.2)),
    "declaration_corrected": ((1.0, 0.0), None),
    "overdue_receipt": (None, None),
    "late_paper_backfill": ((1.0, 0.0), None),
    "in_transit": (None, None),
    "awaiting_receipt": (None, None),
}
NOT_PROCESSED = frozenset({"received_only", "full_refusal"})
DECLARATION_CORRECTION_SHARE = 0.9


@dataclass(frozen=True)
class Step:
    """One act on a manifest: POST /manifests/{no}/{action} by ``actor_id`` at ``at``."""

    action: str
    actor_id: str
    role: str
    at: datetime
    body: dict[str, Any] | None = None


def steps_of(
    fate: str,
    drafted_at: datetime,
    carriers: tuple[str, ...],
    receiver_id: str,
    shipper_id: str,
    declaration: dict[str, Any],
) -> tuple[Step, ...]:
    def at(minutes: int) -> datetime:
        return drafted_at + timedelta(minutes=minutes)

    steps: list[Step] = []
    kg = float(declaration["quantity_kg"])
    if fate == "declaration_corrected":
        kg = round(kg * DECLARATION_CORRECTION_SHARE, 1)
        fixed = {"waste": {**declaration, "quantity_kg": kg}, "reason": "weighbridge ticket"}
        steps.append(Step("corrections", shipper_id, "shipper", at(10), fixed))
    steps.append(Step("pickup", carriers[0], "carrier", at(30), TRANSPORT))
    if fate == "in_transit":
        return tuple(steps)
    for carrier in carriers[1:]:
        steps.append(Step("handovers", carrier, "carrier", at(120), TRANSPORT))
    steps.append(Step("delivery", carriers[-1], "carrier", at(240)))
    receipt, correction = RECEIPTS[fate]
    if receipt is None:
        return tuple(steps)
    steps.append(Step("receipt", receiver_id, "receiver", at(300), _seen(kg, receipt, declaration)))
    if correction is not None:
        body = {**_seen(kg, correction, declaration), "reason": "re-weighed at the gate"}
        steps.append(Step("receipt-corrections", receiver_id, "receiver", at(360), body))
    if fate not in NOT_PROCESSED:
        steps.append(Step("processing", receiver_id, "receiver", at(420)))
    return tuple(steps)


def _seen(kg: float, shares: tuple[float, float], declaration: dict[str, Any]) -> dict[str, Any]:
    accepted = round(kg * shares[0], 1)
    refused = round(kg - accepted, 1) if shares[1] else 0.0
    return {
        "accepted_kg": accepted,
        "refused_kg": refused,
        "method": "D10",
        "observed_code": declaration["waste_code"],
        "observed_form": declaration["form"],
        "observed_packaging": declaration["packaging"],
    }
