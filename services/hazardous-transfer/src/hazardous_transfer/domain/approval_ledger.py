"""What is left of an approval: its ceiling less what its manifests carry (the shipped
quantity while on the way, the accepted quantity once received).

The ledger keeps the total only; each manifest knows what it counts against its approval
(:attr:`Manifest.charged_kg`), so a ledger stays the same size however many manifests run
under it (an approval covers a year of trips)."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, model_validator

from hazardous_transfer.domain.errors import (
    ApprovalExpired,
    InvalidCommand,
    NewApplicationRequired,
    QuantityExceedsApproval,
)
from zw_shared.contracts.hazardous import TransferApproved, WasteDeclaration


class ApprovalLedger(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    approval: TransferApproved
    charged_kg: float = 0.0  # what the manifests under it count against the ceiling
    manifests: int = 0

    @model_validator(mode="before")
    @classmethod
    def _per_manifest_form(cls, data: Any) -> Any:
        """Reads a ledger stored by earlier versions (a charge per manifest number)."""
        if isinstance(data, dict) and isinstance(data.get("charged_kg"), dict):
            charges = data["charged_kg"]
            return {**data, "charged_kg": sum(charges.values()), "manifests": len(charges)}
        return data

    @property
    def remaining_kg(self) -> float:
        return self.approval.quantity_ceiling_kg - self.charged_kg

    def available_to(self, already_charged_kg: float) -> float:
        """What a manifest that counts ``already_charged_kg`` now may count at most."""
        return self.remaining_kg + already_charged_kg

    def charge(self, previous_kg: float | None, quantity_kg: float) -> ApprovalLedger:
        """A manifest counts ``quantity_kg`` instead of ``previous_kg`` (None: a new one)."""
        added = 0 if previous_kg is not None else 1
        return self.model_copy(
            update={
                "charged_kg": self.charged_kg - (previous_kg or 0.0) + quantity_kg,
                "manifests": self.manifests + added,
            }
        )

    def check_in_force(self, on: date) -> None:
        a = self.approval
        if on > a.valid_until:
            raise ApprovalExpired(f"approval {a.approval_id} expired on {a.valid_until}")
        if on < a.valid_from:
            raise InvalidCommand(f"approval {a.approval_id} is valid only from {a.valid_from}")

    def check_covers(
        self, shipper_id: str, receiver_id: str, method: str, waste: WasteDeclaration
    ) -> None:
        """A change of waste kind, method or receiver needs a new application."""
        a = self.approval
        wanted = {"shipper": shipper_id, "receiver": receiver_id, "method": method}
        approved = {"shipper": a.shipper_id, "receiver": a.receiver_id, "method": a.method}
        wanted["waste code"], approved["waste code"] = waste.waste_code, a.waste_code
        differs = [f"{k} {wanted[k]!r} (approved: {approved[k]!r})" for k in wanted
                   if wanted[k] != approved[k]]  # fmt: skip
        if differs:
            raise NewApplicationRequired(
                f"approval {a.approval_id} does not cover {', '.join(differs)}: "
                "a new application is needed"
            )

    def check_quantity(self, already_charged_kg: float, quantity_kg: float, what: str) -> None:
        available = self.available_to(already_charged_kg)
        if quantity_kg > available + 1e-9:
            raise QuantityExceedsApproval(
                f"{what} {quantity_kg:g} kg exceeds what is left of approval "
                f"{self.approval.approval_id} ({available:g} kg of "
                f"{self.approval.quantity_ceiling_kg:g} kg): more needs a new application"
            )


def record(ledger: ApprovalLedger, before: Charged | None, after: Charged) -> ApprovalLedger:
    """The ledger after a manifest went from ``before`` (None: just drafted) to ``after``."""
    previous = before.charged_kg if before is not None else None
    if previous == after.charged_kg:
        return ledger
    return ledger.charge(previous, after.charged_kg)


class Charged(Protocol):
    @property
    def charged_kg(self) -> float: ...
