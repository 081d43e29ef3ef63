"""The facility and cell registry as the intake sees it, and the rules a report must pass
against it: a known facility and cell, a known counterparty, a licence for hazardous waste.

The registry is a pure in-memory view; an adapter feeds it from the compacted topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from waste_intake.domain.errors import FieldError
from waste_intake.domain.flows import FlowReport
from waste_intake.domain.ledger import Location
from zw_shared.contracts.waste import (
    CellRegistered,
    FacilityCredentialIssued,
    FacilityRegistered,
    FacilityType,
    FlowStage,
)

# Stages at which the reporting facility itself handles the waste as an operator.
OPERATOR_STAGES = frozenset(
    {
        FlowStage.RECEIVED,
        FlowStage.RECYCLED,
        FlowStage.COMPOSTED_OR_DIGESTED,
        FlowStage.INCINERATED_WITH_ENERGY_RECOVERY,
        FlowStage.LANDFILLED,
        FlowStage.STORED,
    }
)


@dataclass
class Registry:
    cells: dict[str, CellRegistered] = field(default_factory=dict)
    facilities: dict[str, FacilityRegistered] = field(default_factory=dict)
    key_hashes: dict[str, str] = field(default_factory=dict)  # facility_id -> sha256
    _owner_of_hash: dict[str, str] = field(default_factory=dict)
    # (topic, key) -> the log position of the record applied for it
    _applied_at: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    def apply(
        self,
        record: CellRegistered | FacilityRegistered | FacilityCredentialIssued,
        at: Location | None = None,
    ) -> None:
        """Latest record wins, as on the compacted topics. ``at``: where the record is in
        its topic. A record is applied twice: at once by the API that wrote it, and again
        when the view following the topic reads it, maybe after a later record of the same
        key was written and applied (a key issued twice in a row): a record older in the
        log than the one applied for its key changes nothing."""
        if at is not None:
            key = (at.topic, _key_of(record))
            position = (at.partition, at.offset)
            held = self._applied_at.get(key)
            if held is not None and held[0] == position[0] and held[1] >= position[1]:
                return
            self._applied_at[key] = position
        if isinstance(record, CellRegistered):
            self.cells[record.cell_id] = record
        elif isinstance(record, FacilityRegistered):
            self.facilities[record.facility_id] = record
        else:
            self._apply_credential(record)

    def _apply_credential(self, record: FacilityCredentialIssued) -> None:
        previous = self.key_hashes.get(record.facility_id)
        if previous is not None:
            self._owner_of_hash.pop(previous, None)
        self.key_hashes[record.facility_id] = record.key_sha256
        self._owner_of_hash[record.key_sha256] = record.facility_id

    def owner_of(self, key_sha256: str) -> str | None:
        """The facility whose current key has this hash (None: no facility's)."""
        return self._owner_of_hash.get(key_sha256)


def _key_of(record: CellRegistered | FacilityRegistered | FacilityCredentialIssued) -> str:
    return record.cell_id if isinstance(record, CellRegistered) else record.facility_id


def resolve_cell(facility: FacilityRegistered, report: FlowReport) -> str:
    return report.cell_id or facility.cell_id


def check_against_registry(
    facility: FacilityRegistered, report: FlowReport, registry: Registry
) -> list[FieldError]:
    return [
        *_check_cell(facility, report, registry),
        *_check_counterparty(report, registry),
        *_check_licence(facility, report, registry),
    ]


def _check_cell(
    facility: FacilityRegistered, report: FlowReport, registry: Registry
) -> list[FieldError]:
    cell_id = resolve_cell(facility, report)
    if cell_id not in registry.cells:
        return [FieldError("cell_id", f"cell {cell_id!r} is not registered", "unknown_cell")]
    if cell_id != facility.cell_id:
        reason = f"facility {facility.facility_id!r} belongs to cell {facility.cell_id!r}"
        return [FieldError("cell_id", reason, "cell_mismatch")]
    return []


def _check_counterparty(report: FlowReport, registry: Registry) -> list[FieldError]:
    counterparty = report.counterparty_facility_id
    if counterparty is None or counterparty in registry.facilities:
        return []
    reason = f"facility {counterparty!r} is not registered"
    return [FieldError("counterparty_facility_id", reason, "unknown_counterparty")]


def _check_licence(
    facility: FacilityRegistered, report: FlowReport, registry: Registry
) -> list[FieldError]:
    """Hazardous waste goes only to, and is handled only by, a facility licensed for its code
    (a generator may keep its own waste in storage)."""
    code = report.hazardous_code
    if code is None:
        return []
    day = report.occurred_at.date()
    if report.stage is FlowStage.HANDED_OVER and report.counterparty_facility_id:
        receiver = registry.facilities.get(report.counterparty_facility_id)
        if receiver is not None and not licensed_for(receiver, code, day):
            reason = f"{receiver.facility_id!r} holds no licence covering {code} on {day}"
            return [FieldError("counterparty_facility_id", reason, "counterparty_unlicensed")]
    if _handles_itself(facility, report) and not licensed_for(facility, code, day):
        reason = f"{facility.facility_id!r} holds no licence covering {code} on {day}"
        return [FieldError("hazardous_code", reason, "facility_unlicensed")]
    return []


def _handles_itself(facility: FacilityRegistered, report: FlowReport) -> bool:
    if report.stage is FlowStage.STORED and facility.facility_type is FacilityType.GENERATOR:
        return False
    return report.stage in OPERATOR_STAGES


def licensed_for(facility: FacilityRegistered, code: str, day: date) -> bool:
    return any(
        code in licence.hazardous_codes
        and (licence.valid_until is None or day <= licence.valid_until)
        for licence in facility.licences
    )
