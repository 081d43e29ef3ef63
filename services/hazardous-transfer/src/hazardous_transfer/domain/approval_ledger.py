"""What is left of an approval: its ceiling less what its manifests carry (the shipped
quantity while on the way, the accepted quantity once received)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from hazardous_transfer.domain.errors import (
    ApprovalExpired,
    InvalidCommand,
    NewApplicationRequired,
    QuantityExceedsApproval,
)
from zw_shared.contracts.hazardous import (
    ManifestCorrected,
    ManifestDrafted,
    ManifestEvent,
    ManifestReceived,
    TransferApproved,
    WasteDeclaration,
)


class ApprovalLedger(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    approval: TransferApproved
    charged_kg: dict[str, float] = {}  # manifest number -> quantity counted against the ceiling

    @property
    def remaining_kg(self) -> float:
        return self.approval.quantity_ceiling_kg - sum(self.charged_kg.values())

    def available_to(self, manifest_no: str) -> float:
        return self.remaining_kg + self.charged_kg.get(manifest_no, 0.0)

    def charge(self, manifest_no: str, quantity_kg: float) -> ApprovalLedger:
        return self.model_copy(update={"charged_kg": self.charged_kg | {manifest_no: quantity_kg}})

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

    def check_quantity(self, manifest_no: str, quantity_kg: float, what: str) -> None:
        available = self.available_to(manifest_no)
        if quantity_kg > available + 1e-9:
            raise QuantityExceedsApproval(
                f"{what} {quantity_kg:g} kg exceeds what is left of approval "
                f"{self.approval.approval_id} ({available:g} kg of "
                f"{self.approval.quantity_ceiling_kg:g} kg): more needs a new application"
            )


def record(ledger: ApprovalLedger, event: ManifestEvent, received: bool) -> ApprovalLedger:
    """The ledger after a manifest event under it. ``received``: the manifest was received
    before this event (then a correction no longer changes what is charged)."""
    match event:
        case ManifestDrafted():
            return ledger.charge(event.manifest_no, event.waste.quantity_kg)
        case ManifestReceived():
            return ledger.charge(event.manifest_no, event.accepted_kg)
        case ManifestCorrected() if not received:
            return ledger.charge(event.manifest_no, event.waste.quantity_kg)
        case _:
            return ledger
