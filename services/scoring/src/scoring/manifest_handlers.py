"""What the worker (and the replay) does with hazardous-transfer events, in two steps.

1. :class:`ManifestFolder`, per manifest (the hazardous topic's key): folds each manifest
   event once into the manifest's record, pins the cell of its shipper (a facility of
   waste-intake's registry) and gives the manifest's :class:`Contribution` to its month.
2. :func:`count_contribution`, per cell (after the contribution was re-keyed by cell id):
   replaces the manifest's earlier facts in the cell's month with the new ones.

The stores are faust tables in the worker and plain dicts in the replay and unit tests."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.hazardous import Contribution, ManifestRecord
from scoring.domain.period_flows import Fact
from scoring.domain.periods import Period
from scoring.handlers import Applied, FlowLedger
from zw_shared.contracts.hazardous import ManifestEvent
from zw_shared.contracts.scoring import CellManifestFactsChanged

CellOf = Callable[[str], str | None]  # facility id -> its cell id, if registered


class Folded(StrEnum):
    FOLDED = "folded"
    DUPLICATE = "duplicate"
    UNMAPPED = "unmapped"  # shipper unknown, or not (yet) a registered facility


class ManifestFolder:
    def __init__(self, records: MutableMapping[str, Any], cell_of: CellOf, zone: ZoneInfo) -> None:
        self._records = records
        self._cell_of = cell_of
        self._zone = zone

    def fold(self, event: ManifestEvent, event_id: str) -> tuple[Folded, Contribution | None]:
        before = self.record(event.manifest_no)
        record = self._mapped(before.folding(event, event_id, self._zone))
        if record != before:
            self._records[event.manifest_no] = record.to_state()
        contribution = record.contribution()
        if contribution is None:
            return Folded.UNMAPPED, None
        return (Folded.FOLDED if record.sequence > before.sequence else Folded.DUPLICATE), (
            contribution
        )

    def record(self, manifest_no: str) -> ManifestRecord:
        state = self._records.get(manifest_no)
        return ManifestRecord.from_state(state) if state else ManifestRecord(manifest_no)

    def _mapped(self, record: ManifestRecord) -> ManifestRecord:
        if record.cell_id is not None or record.shipper_id is None:
            return record
        cell_id = self._cell_of(record.shipper_id)
        return record if cell_id is None else record.in_cell(cell_id)


def manifest_facts_changed(contribution: Contribution) -> CellManifestFactsChanged:
    return CellManifestFactsChanged(
        cell_id=contribution.cell_id,
        manifest_no=contribution.manifest_no,
        shipper_id=contribution.shipper_id,
        period=contribution.month.key,
        facts={fact.value: amount for fact, amount in sorted(contribution.facts.items())},
        sequence=contribution.sequence,
    )


def count_contribution(ledger: FlowLedger, change: CellManifestFactsChanged) -> Applied:
    """Counts a manifest's facts in its cell's month (ledger key ``@manifest/<number>``)."""
    return ledger.replace_facts(
        f"@manifest/{change.manifest_no}",
        change.cell_id,
        Period.parse(change.period),
        {Fact(name): amount for name, amount in change.facts.items()},
        change.sequence,
    )
