"""What the worker does with each readable waste-flow event: count a flow once, correct it,
or void it, in the cell's running totals and in the month the flow belongs to.

The stores are the worker's faust tables (any mutable mapping will do, so this runs in unit
tests with plain dicts). ``ledger`` remembers, per dedup key (facility/event id), what each
counted event contributed: a redelivered event changes nothing, and a correction or a void
takes exactly the earlier contribution back out.

In a batch (:meth:`FlowLedger.begin` ... :meth:`FlowLedger.flush`) the ledger keeps what it
changed in memory and writes each changed key to the stores ONCE at the flush: the worker
applies a batch of events and writes (and publishes) each touched cell and month once. Out
of a batch every change is written at once (the replay, and single changes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from scoring.decoded_states import DecodedStates
from scoring.domain.assessments import facts_of
from scoring.domain.counted_flow import CountedFlow
from scoring.domain.period_flows import Fact, PeriodFlows
from scoring.domain.periods import Period, PeriodKind
from scoring.domain.totals import CellTotals
from zw_shared.contracts.scoring import CellAssessed, CellPeriodFlowsUpdated, CellTotalsUpdated
from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded, WasteFlowVoided

# Published amounts are rounded to the milligram: float sums carry noise below that.
KG_DECIMALS = 6

Store = MutableMapping[str, Any]


class Outcome(StrEnum):
    COUNTED = "counted"
    CORRECTED = "corrected"
    VOIDED = "voided"
    ASSESSED = "assessed"
    DUPLICATE = "duplicate"
    FACTS_REPLACED = "facts_replaced"


class Refused(ValueError):
    """The event is readable but cannot apply (e.g. it corrects an unknown event)."""


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    totals: CellTotals
    months: tuple[PeriodFlows, ...]  # the months whose flows changed


@dataclass(frozen=True)
class Stores:
    totals: Store  # cell id -> CellTotals state
    months: Store  # "cell id|2026-11" -> PeriodFlows state
    ledger: Store  # dedup key -> {"cell_id", "flow": CountedFlow state | None, ...}
    # cell id -> the month keys (2026-11) it has flows or assessments in; derived from
    # ``months`` (the worker keeps it in memory and rebuilds it after each rebalance)
    index: Store


@dataclass
class Changes:
    """What a batch changed, decoded (each key once, its latest state), and what it read."""

    totals: dict[str, CellTotals] = field(default_factory=dict)  # cell id -> totals
    months: dict[str, PeriodFlows] = field(default_factory=dict)  # month_key -> flows
    index: dict[str, list[str]] = field(default_factory=dict)  # cell id -> month keys
    ledger: dict[str, dict[str, Any]] = field(default_factory=dict)  # dedup key -> entry
    read_months: dict[str, PeriodFlows] = field(default_factory=dict)  # decoded on read
    month_states: dict[str, dict[str, Any]] = field(default_factory=dict)  # as written


class FlowLedger:
    def __init__(
        self,
        stores: Stores,
        zone: ZoneInfo,
        on_time_within: timedelta,
        *,
        months_held: int = 4_096,
        totals_held: int = 16_384,
    ) -> None:
        """``months_held``, ``totals_held``: how many decoded months and totals it keeps for
        the keys it touched last (see :mod:`scoring.decoded_states`)."""
        self._s = stores
        self._zone = zone
        self._on_time = on_time_within
        self._batch: Changes | None = None
        self._months = DecodedStates(PeriodFlows.from_state, months_held)
        self._totals_held = DecodedStates(CellTotals.from_state, totals_held)

    @property
    def decoded_months(self) -> DecodedStates[PeriodFlows]:
        """The months it decoded or wrote last, decoded (a reader of the stored months may
        share them: each is used only for the very state it was decoded from)."""
        return self._months

    def begin(self) -> None:
        """Starts a batch: changes stay in memory until :meth:`flush`."""
        if self._batch is not None:
            raise RuntimeError("a batch is already open")
        self._batch = Changes()

    def flush(self) -> Changes:
        """Writes every key the batch changed to the stores, once, and ends the batch."""
        batch, self._batch = self._batch, None
        if batch is None:
            raise RuntimeError("no batch is open")
        for key, entry in batch.ledger.items():
            self._s.ledger[key] = entry
        for cell_id, totals in batch.totals.items():
            self._write_totals(cell_id, totals)
        for key, flows in batch.months.items():
            batch.month_states[key] = self._write_month(key, flows)
        for cell_id, known in batch.index.items():
            self._s.index[cell_id] = known
        return batch

    def month_of(self, cell_id: str, month: Period) -> PeriodFlows | None:
        """A month as it is now (in the open batch, if any); None if nothing counted in it."""
        key = month_key(cell_id, month)
        if self._batch is not None:
            cached = self._batch.months.get(key) or self._batch.read_months.get(key)
            if cached is not None:
                return cached
        flows = self._months.get(self._s.months, key)
        if flows is not None and self._batch is not None:
            self._batch.read_months[key] = flows
        return flows

    def record(self, flow: WasteFlowRecorded, reported_at: datetime) -> Applied:
        key = flow.dedup_key
        if self._entry(key) is not None:
            return self._unchanged(flow.cell_id)
        counted = CountedFlow.of(flow, reported_at)
        self._put_entry(key, {"cell_id": flow.cell_id, "flow": counted.to_state()})
        return Applied(Outcome.COUNTED, *self._add(flow.cell_id, counted, +1))

    def correct(self, correction: WasteFlowCorrected, reported_at: datetime) -> Applied:
        if self._entry(correction.dedup_key) is not None:
            return self._unchanged(correction.cell_id)
        earlier = self._counted(correction.corrects_key, correction.cell_id, "corrects")
        replacement = CountedFlow.of(correction, reported_at)
        totals, removed = self._add(correction.cell_id, earlier, -1)
        totals, added = self._add(correction.cell_id, replacement, +1)
        self._remember(correction.corrects_key, correction.cell_id, replacement)
        self._put_entry(
            correction.dedup_key,
            {"cell_id": correction.cell_id, "applied_to": correction.corrects_key},
        )
        return Applied(Outcome.CORRECTED, totals, _unique(removed + added))

    def void(self, void: WasteFlowVoided) -> Applied:
        if self._entry(void.dedup_key) is not None:
            return self._unchanged(void.cell_id)
        earlier = self._counted(void.voids_key, void.cell_id, "voids")
        totals, months = self._add(void.cell_id, earlier, -1)
        self._remember(void.voids_key, void.cell_id, None)
        self._put_entry(void.dedup_key, {"cell_id": void.cell_id, "applied_to": void.voids_key})
        return Applied(Outcome.VOIDED, totals, months)

    def assess(self, assessment: CellAssessed) -> Applied:
        """Counts an inspection or a survey in the month it took place in."""
        key = f"@assessment/{assessment.assessment_id}"
        if self._entry(key) is not None:
            return self._unchanged(assessment.cell_id)
        day = assessment.occurred_at.astimezone(self._zone).date()
        month = Period.containing(PeriodKind.MONTH, day)
        facts = facts_of(assessment)
        flows = self._month(assessment.cell_id, month).with_facts(facts)
        self._put_month(flows)
        entry: dict[str, Any] = {"cell_id": assessment.cell_id, "assessment": month.key}
        # what it contributed, so that totals and months can be derived from the ledger
        entry["facts"] = {fact.value: amount for fact, amount in sorted(facts.items())}
        self._put_entry(key, entry)
        return Applied(Outcome.ASSESSED, self._totals(assessment.cell_id), (flows,))

    def _counted(self, key: str, cell_id: str, verb: str) -> CountedFlow:
        entry = self._entry(key)
        if entry is None or "flow" not in entry:
            raise Refused(f"{verb} {key!r}, which was not counted for cell {cell_id!r}")
        if entry["cell_id"] != cell_id:
            raise Refused(f"{verb} {key!r} of cell {entry['cell_id']!r}, not {cell_id!r}")
        if entry["flow"] is None:
            raise Refused(f"{verb} {key!r}, which was voided")
        return CountedFlow.from_state(entry["flow"])

    def _remember(self, key: str, cell_id: str, flow: CountedFlow | None) -> None:
        self._put_entry(key, {"cell_id": cell_id, "flow": flow.to_state() if flow else None})

    def _entry(self, key: str) -> dict[str, Any] | None:
        if self._batch is not None and key in self._batch.ledger:
            return self._batch.ledger[key]
        entry: dict[str, Any] | None = self._s.ledger.get(key)
        return entry

    def _put_entry(self, key: str, entry: dict[str, Any]) -> None:
        if self._batch is None:
            self._s.ledger[key] = entry
        else:
            self._batch.ledger[key] = entry

    def _add(
        self, cell_id: str, flow: CountedFlow, sign: int
    ) -> tuple[CellTotals, tuple[PeriodFlows, ...]]:
        totals = self._totals(cell_id).counting(flow, sign)
        if self._batch is None:
            self._write_totals(cell_id, totals)
        else:
            self._batch.totals[cell_id] = totals
        month = flow.month(self._zone)
        flows = self._month(cell_id, month).with_flow(flow, self._on_time, self._zone, sign)
        self._put_month(flows)
        return totals, (flows,)

    def _unchanged(self, cell_id: str) -> Applied:
        return Applied(Outcome.DUPLICATE, self._totals(cell_id), ())

    def _totals(self, cell_id: str) -> CellTotals:
        if self._batch is not None and cell_id in self._batch.totals:
            return self._batch.totals[cell_id]
        return self._totals_held.get(self._s.totals, cell_id) or CellTotals(cell_id=cell_id)

    def _write_totals(self, cell_id: str, totals: CellTotals) -> None:
        state = totals.to_state()
        self._s.totals[cell_id] = state
        self._totals_held.put(cell_id, state, totals)

    def _write_month(self, key: str, flows: PeriodFlows) -> dict[str, Any]:
        state = flows.to_state()
        self._s.months[key] = state
        self._months.put(key, state, flows)
        return state

    def _put_month(self, flows: PeriodFlows) -> None:
        key = month_key(flows.cell_id, flows.period)
        if self._batch is None:
            self._write_month(key, flows)
        else:
            self._batch.months[key] = flows
        known = self._known_months(flows.cell_id)
        if flows.period.key not in known:
            self._put_index(flows.cell_id, sorted([*known, flows.period.key]))

    def _known_months(self, cell_id: str) -> list[str]:
        if self._batch is not None and cell_id in self._batch.index:
            return self._batch.index[cell_id]
        known: list[str] = self._s.index.get(cell_id) or []
        return known

    def _put_index(self, cell_id: str, known: list[str]) -> None:
        if self._batch is None:
            self._s.index[cell_id] = known
        else:
            self._batch.index[cell_id] = known

    def _month(self, cell_id: str, month: Period) -> PeriodFlows:
        return self.month_of(cell_id, month) or PeriodFlows(cell_id, month)

    def replace_facts(
        self, key: str, cell_id: str, month: Period, facts: Mapping[Fact, float], sequence: int
    ) -> Applied:
        """Sets what one source (``key``, e.g. a hazardous manifest) contributes to a cell's
        months: its earlier facts come out, ``facts`` go in. A ``sequence`` not above the
        last one applied for ``key`` is stale or a repeat, and changes nothing."""
        before = self._entry(key)
        if before is not None and before["sequence"] >= sequence:
            return self._unchanged(cell_id)
        if before is not None and before["cell_id"] != cell_id:
            raise Refused(f"{key!r} is counted for cell {before['cell_id']!r}, not {cell_id!r}")
        months: dict[Period, PeriodFlows] = {}
        if before is not None:
            earlier = Period.parse(before["month"])
            old = {Fact(name): amount for name, amount in before["facts"].items()}
            months[earlier] = self._month(cell_id, earlier).with_facts(old, -1)
        months[month] = (months.get(month) or self._month(cell_id, month)).with_facts(facts)
        changed = tuple(m for m in months.values() if m != self._month(cell_id, m.period))
        for flows in changed:
            self._put_month(flows)
        self._put_entry(
            key,
            {
                "cell_id": cell_id,
                "month": month.key,
                "facts": {fact.value: amount for fact, amount in sorted(facts.items())},
                "sequence": sequence,
            },
        )
        return Applied(Outcome.FACTS_REPLACED, self._totals(cell_id), changed)


def month_key(cell_id: str, month: Period) -> str:
    return f"{cell_id}|{month.key}"


def rebuild_index(stores: Stores, owns: Callable[[str], bool]) -> int:
    """Derives ``stores.index`` from the months of the cells ``owns`` holds for the
    worker's; returns how many cells it has."""
    index: dict[str, list[str]] = {}
    for key in list(stores.months):
        cell_id, _, month = key.rpartition("|")
        if owns(cell_id):
            index.setdefault(cell_id, []).append(month)
    stores.index.clear()
    stores.index.update({cell_id: sorted(months) for cell_id, months in index.items()})
    return len(index)


def _unique(months: tuple[PeriodFlows, ...]) -> tuple[PeriodFlows, ...]:
    """The latest state of each month (a correction may move a flow to another month)."""
    latest = {flows.period: flows for flows in months}
    return tuple(latest.values())


def totals_updated(totals: CellTotals) -> CellTotalsUpdated:
    return CellTotalsUpdated.model_validate(totals_data(totals))


def totals_data(totals: CellTotals) -> dict[str, Any]:
    """The JSON-safe payload of :class:`CellTotalsUpdated`."""
    return {
        "cell_id": totals.cell_id,
        "total_kg": round(totals.total_kg, KG_DECIMALS),
        "kg_by_category": _rounded(totals.kg_by_category),
        "kg_by_stage": _rounded(totals.kg_by_stage),
        "event_count": totals.event_count,
        "last_event_at": totals.last_event_iso,
    }


def month_flows_updated(flows: PeriodFlows) -> CellPeriodFlowsUpdated:
    return CellPeriodFlowsUpdated.model_validate(flows.to_state())


def _rounded(amounts: dict[str, float]) -> dict[str, float]:
    return {key: round(amounts[key], KG_DECIMALS) for key in sorted(amounts)}
