"""What the receiver found against what the shipper declared: a weight difference beyond the
tolerance, a different code, form or packaging, or a refused part of the load."""

from __future__ import annotations

from dataclasses import dataclass

from zw_shared.contracts.hazardous import DiscrepancyKind, WasteDeclaration, WasteForm


@dataclass(frozen=True)
class Observation:
    accepted_kg: float
    refused_kg: float
    code: str
    form: WasteForm
    packaging: str

    @property
    def received_kg(self) -> float:
        return self.accepted_kg + self.refused_kg


def find_discrepancies(
    declared: WasteDeclaration, seen: Observation, tolerance: float
) -> list[tuple[DiscrepancyKind, str]]:
    found: list[tuple[DiscrepancyKind, str]] = []
    shipped, received = declared.quantity_kg, seen.received_kg
    if abs(received - shipped) > tolerance * shipped:
        found.append((
            DiscrepancyKind.QUANTITY,
            f"received {received:g} kg against {shipped:g} kg shipped "
            f"(tolerance {tolerance:.1%})",
        ))  # fmt: skip
    if seen.code != declared.waste_code:
        found.append((DiscrepancyKind.CODE, f"code {seen.code}, declared {declared.waste_code}"))
    if seen.form is not declared.form:
        found.append((DiscrepancyKind.FORM, f"form {seen.form}, declared {declared.form}"))
    if seen.packaging.strip().casefold() != declared.packaging.strip().casefold():
        found.append((
            DiscrepancyKind.PACKAGING,
            f"packaging {seen.packaging!r}, declared {declared.packaging!r}",
        ))  # fmt: skip
    if seen.refused_kg > 0:
        found.append((DiscrepancyKind.REJECTION, f"refused {seen.refused_kg:g} kg"))
    return found
