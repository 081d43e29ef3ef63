"""What a hazardous-waste transfer manifest (联单) counts in its shipper's zero-waste cell.

hazardous-transfer publishes every state change of a manifest; scoring folds them, per
manifest, into a :class:`ManifestRecord` and derives from it the facts the manifest adds to
one cell month. The shipper is a waste facility: its id on the manifest is the facility id
of waste-intake's registry, whose record names the facility's cell.

A manifest belongs to the month it was shipped in: the local day its shipper drafted it,
or the day its paper manifest was issued when it was back-filled. Every later event of the
manifest (received, overdue, corrected...) updates that month, however late it arrives.

Facts of one manifest (each 0 or 1, or kilograms of the declared quantity, latest version):

- ``manifests_total``: shipped;
- ``manifests_closed``: the receiver confirmed receipt (the manifest's loop is closed);
- ``manifests_closed_on_time``: closed, and never past a deadline (receipt confirmation
  within its working days, a paper manifest back-filled in time);
- ``manifests_overdue``: past a deadline at least once (a veto item);
- ``manifests_refused``: the receiver refused some or all of the load, in the latest version
  of its receipt (a veto item);
- ``manifests_with_discrepancy``: received quantity, code, form or packaging differed;
- ``manifest_kg_due``: declared kg once the manifest is closed or overdue (a manifest still
  on its way, within its deadlines, is not yet judged);
- ``manifest_kg_closed_on_time``: declared kg of a manifest closed on time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.period_flows import Fact
from scoring.domain.periods import Period, PeriodKind
from zw_shared.contracts.hazardous import (
    DiscrepancyRaised,
    ManifestCorrected,
    ManifestDrafted,
    ManifestEvent,
    ManifestOverdue,
    ManifestReceiptCorrected,
    ManifestReceived,
)


@dataclass(frozen=True)
class Contribution:
    """The facts one manifest adds to one cell month; ``sequence``: events folded so far."""

    cell_id: str
    manifest_no: str
    shipper_id: str
    month: Period
    facts: dict[Fact, float]
    sequence: int


@dataclass(frozen=True)
class ManifestRecord:
    manifest_no: str
    shipper_id: str | None = None  # unknown until the drafted event
    shipped_on: date | None = None  # local day
    declared_kg: float = 0.0
    closed: bool = False
    overdue: bool = False
    refused: bool = False
    discrepancy: bool = False
    cell_id: str | None = None  # the shipper's cell, pinned when first found
    event_ids: tuple[str, ...] = ()  # of the events folded: a repeat changes nothing

    @property
    def sequence(self) -> int:
        return len(self.event_ids)

    def folding(self, event: ManifestEvent, event_id: str, zone: ZoneInfo) -> ManifestRecord:
        """The record after ``event`` (itself, unchanged, when the event was folded before)."""
        if event.manifest_no != self.manifest_no:
            raise ValueError(f"event of manifest {event.manifest_no} folded into {self}")
        if event_id in self.event_ids:
            return self
        return replace(self, **_changes(event, zone), event_ids=(*self.event_ids, event_id))

    def in_cell(self, cell_id: str) -> ManifestRecord:
        """The record with its shipper's cell, unless one was pinned before (a manifest
        stays in the cell it was first counted in)."""
        return self if self.cell_id is not None else replace(self, cell_id=cell_id)

    def facts(self) -> dict[Fact, float]:
        on_time = self.closed and not self.overdue
        flags = {
            Fact.MANIFESTS_TOTAL: True,
            Fact.MANIFESTS_CLOSED: self.closed,
            Fact.MANIFESTS_CLOSED_ON_TIME: on_time,
            Fact.MANIFESTS_OVERDUE: self.overdue,
            Fact.MANIFESTS_REFUSED: self.refused,
            Fact.MANIFESTS_WITH_DISCREPANCY: self.discrepancy,
        }
        facts = {fact: 1.0 for fact, flag in flags.items() if flag}
        if self.closed or self.overdue:
            facts[Fact.MANIFEST_KG_DUE] = self.declared_kg
        if on_time:
            facts[Fact.MANIFEST_KG_CLOSED_ON_TIME] = self.declared_kg
        return facts

    def contribution(self) -> Contribution | None:
        """What the manifest adds to its cell's month; ``None`` until its shipper, its
        shipper's cell and its month are known."""
        if self.cell_id is None or self.shipper_id is None or self.shipped_on is None:
            return None
        month = Period.containing(PeriodKind.MONTH, self.shipped_on)
        return Contribution(
            self.cell_id, self.manifest_no, self.shipper_id, month, self.facts(), self.sequence
        )

    def to_state(self) -> dict[str, Any]:
        """A JSON-safe dict, as kept in the worker's table."""
        return {
            "manifest_no": self.manifest_no,
            "shipper_id": self.shipper_id,
            "shipped_on": self.shipped_on.isoformat() if self.shipped_on else None,
            "declared_kg": self.declared_kg,
            "closed": self.closed,
            "overdue": self.overdue,
            "refused": self.refused,
            "discrepancy": self.discrepancy,
            "cell_id": self.cell_id,
            "event_ids": list(self.event_ids),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ManifestRecord:
        shipped_on = state["shipped_on"]
        return cls(
            **{
                **state,
                "shipped_on": date.fromisoformat(shipped_on) if shipped_on else None,
                "event_ids": tuple(state["event_ids"]),
            }
        )


def _changes(event: ManifestEvent, zone: ZoneInfo) -> dict[str, Any]:
    match event:
        case ManifestDrafted():
            day = event.paper_issued_on or event.occurred_at.astimezone(zone).date()
            return {
                "shipper_id": event.shipper_id,
                "shipped_on": day,
                "declared_kg": event.waste.quantity_kg,
            }
        case ManifestCorrected():
            return {"declared_kg": event.waste.quantity_kg}
        case ManifestReceived():
            return {"closed": True, "refused": event.refused_kg > 0}
        case ManifestReceiptCorrected():  # the latest version of the receipt counts
            return {"closed": True, "refused": event.refused_kg > 0}
        case DiscrepancyRaised():
            return {"discrepancy": True}
        case ManifestOverdue():
            return {"overdue": True}
        case _:  # picked up, handed over, delivered, processed: nothing scoring counts
            return {}
