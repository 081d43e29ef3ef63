"""The state a planned manifest must reach: its acts folded one by one, and its deadlines
judged as of a given instant (pure).

Deadlines run on China's working-day calendar, which this model does not carry: the plan
keeps every deadline far from the edge instead (a delivery either weeks or hours old, a
paper manifest entered weeks after it was issued), and anything closer is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zw_shared.simulation.transfers import ManifestPlan

QUANTITY_TOLERANCE = 0.05  # hazardous-transfer's default QUANTITY_TOLERANCE
# 5 working days never end within 5 calendar days, and always within 15.
RECEIPT_NOT_YET_DUE = timedelta(days=5)
RECEIPT_SURELY_OVERDUE = timedelta(days=15)
# 10 working days never end within 11 calendar days, and always within 21.
PAPER_IN_TIME_DAYS, PAPER_SURELY_LATE_DAYS = 11, 21


class AmbiguousDeadline(ValueError):
    """The plan put an act too close to a deadline for a calendar-free model to judge."""


@dataclass
class ManifestState:
    shipped_on: date
    declared_kg: float
    status: str = "drafted"
    delivered_at: datetime | None = None
    receipt: dict[str, Any] | None = None
    discrepancy_kinds: tuple[str, ...] = ()
    overdue_steps: list[str] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.receipt is not None

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_steps)

    @property
    def refused(self) -> bool:
        return self.receipt is not None and float(self.receipt["refused_kg"]) > 0

    def as_json(self) -> dict[str, Any]:
        receipt = self.receipt or {}
        return {
            "status": self.status,
            "month": f"{self.shipped_on:%Y-%m}",
            "declared_kg": self.declared_kg,
            "accepted_kg": receipt.get("accepted_kg"),
            "refused_kg": receipt.get("refused_kg"),
            "refused": self.refused,
            "overdue_steps": sorted(self.overdue_steps),
            "discrepancy_kinds": list(self.discrepancy_kinds),
        }


def fold(plan: ManifestPlan, now: datetime) -> ManifestState:
    shipped_on = plan.paper_issued_on or plan.drafted_at.date()
    state = ManifestState(shipped_on, float(plan.declaration["quantity_kg"]))
    if plan.paper_issued_on is not None and _paper_late(plan.paper_issued_on, plan.drafted_at):
        state.overdue_steps.append("paper_backfill")
    for step in plan.steps:
        _apply(state, step.action, step.at, step.body or {}, plan.declaration)
    if state.status == "delivered" and _receipt_overdue(state, now):
        state.overdue_steps.append("receipt_confirmation")
    return state


def _apply(
    state: ManifestState,
    action: str,
    at: datetime,
    body: dict[str, Any],
    declaration: dict[str, Any],
) -> None:
    if action in ("pickup", "handovers"):
        state.status = "in_transit"
    elif action == "delivery":
        state.status, state.delivered_at = "delivered", at
    elif action in ("receipt", "receipt-corrections"):
        state.status = "received"
        state.receipt = {"accepted_kg": body["accepted_kg"], "refused_kg": body["refused_kg"]}
        kinds = discrepancy_kinds(state.declared_kg, body, declaration)
        state.discrepancy_kinds = kinds or state.discrepancy_kinds  # a new one replaces it
    elif action == "processing":
        state.status = "processed"
    elif action == "corrections":
        state.declared_kg = float(body["waste"]["quantity_kg"])
    else:
        raise ValueError(f"unknown manifest action {action!r}")


def discrepancy_kinds(
    declared_kg: float,
    seen: dict[str, Any],
    declaration: dict[str, Any],
    tolerance: float = QUANTITY_TOLERANCE,
) -> tuple[str, ...]:
    received = float(seen["accepted_kg"]) + float(seen["refused_kg"])
    checks = [
        ("quantity", abs(received - declared_kg) > tolerance * declared_kg),
        ("code", seen["observed_code"] != declaration["waste_code"]),
        ("form", seen["observed_form"] != declaration["form"]),
        (
            "packaging",
            seen["observed_packaging"].strip().casefold()
            != declaration["packaging"].strip().casefold(),
        ),
        ("rejection", float(seen["refused_kg"]) > 0),
    ]
    return tuple(kind for kind, differs in checks if differs)


def _receipt_overdue(state: ManifestState, now: datetime) -> bool:
    assert state.delivered_at is not None
    age = now - state.delivered_at
    if RECEIPT_NOT_YET_DUE <= age < RECEIPT_SURELY_OVERDUE:
        raise AmbiguousDeadline(f"a delivery {age} old may or may not be overdue")
    return age >= RECEIPT_SURELY_OVERDUE


def _paper_late(issued_on: date, entered_at: datetime) -> bool:
    days = (entered_at.date() - issued_on).days
    if PAPER_IN_TIME_DAYS <= days < PAPER_SURELY_LATE_DAYS:
        raise AmbiguousDeadline(f"a paper manifest entered after {days} days may be late")
    return days >= PAPER_SURELY_LATE_DAYS
