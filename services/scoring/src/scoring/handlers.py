"""What the worker does with each readable waste-flow event: count a flow once, correct it,
or void it, in the cell's running totals and in the month the flow belongs to.

The stores are the worker's faust tables (any mutable mapping will do, so this runs in unit
tests with plain dicts). ``ledger`` remembers, per dedup key (facility/event id), what each
counted event contributed: a redelivered event changes nothing, and a correction or a void
takes exactly the earlier contribution back out."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.assessments import facts_of
from scoring.domain.counted_flow import CountedFlow
from scoring.domain.period_flows import PeriodFlows
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
    index: Store  # cell id -> the month keys (2026-11) it has flows or assessments in


class FlowLedger:
    def __init__(self, stores: Stores, zone: ZoneInfo, on_time_within: timedelta) -> None:
        self._s = stores
        self._zone = zone
        self._on_time = on_time_within

    def record(self, flow: WasteFlowRecorded, reported_at: datetime) -> Applied:
        if flow.dedup_key in self._s.ledger:
            return self._unchanged(flow.cell_id)
        counted = CountedFlow.of(flow, reported_at)
        self._s.ledger[flow.dedup_key] = {"cell_id": flow.cell_id, "flow": counted.to_state()}
        return Applied(Outcome.COUNTED, *self._add(flow.cell_id, counted, +1))

    def correct(self, correction: WasteFlowCorrected, reported_at: datetime) -> Applied:
        if correction.dedup_key in self._s.ledger:
            return self._unchanged(correction.cell_id)
        earlier = self._counted(correction.corrects_key, correction.cell_id, "corrects")
        replacement = CountedFlow.of(correction, reported_at)
        totals, removed = self._add(correction.cell_id, earlier, -1)
        totals, added = self._add(correction.cell_id, replacement, +1)
        self._remember(correction.corrects_key, correction.cell_id, replacement)
        self._s.ledger[correction.dedup_key] = {
            "cell_id": correction.cell_id,
            "applied_to": correction.corrects_key,
        }
        return Applied(Outcome.CORRECTED, totals, _unique(removed + added))

    def void(self, void: WasteFlowVoided) -> Applied:
        if void.dedup_key in self._s.ledger:
            return self._unchanged(void.cell_id)
        earlier = self._counted(void.voids_key, void.cell_id, "voids")
        totals, months = self._add(void.cell_id, earlier, -1)
        self._remember(void.voids_key, void.cell_id, None)
        self._s.ledger[void.dedup_key] = {"cell_id": void.cell_id, "applied_to": void.voids_key}
        return Applied(Outcome.VOIDED, totals, months)

    def assess(self, assessment: CellAssessed) -> Applied:
        """Counts an inspection or a survey in the month it took place in."""
        key = f"@assessment/{assessment.assessment_id}"
        if key in self._s.ledger:
            return self._unchanged(assessment.cell_id)
        day = assessment.occurred_at.astimezone(self._zone).date()
        month = Period.containing(PeriodKind.MONTH, day)
        flows = self._month(assessment.cell_id, month)
        for fact, amount in facts_of(assessment).items():
            flows = flows.with_fact(fact, amount)
        self._put_month(flows)
        self._s.ledger[key] = {"cell_id": assessment.cell_id, "assessment": month.key}
        return Applied(Outcome.ASSESSED, self._totals(assessment.cell_id), (flows,))

    def _counted(self, key: str, cell_id: str, verb: str) -> CountedFlow:
        entry = self._s.ledger.get(key)
        if entry is None or "flow" not in entry:
            raise Refused(f"{verb} {key!r}, which was not counted for cell {cell_id!r}")
        if entry["cell_id"] != cell_id:
            raise Refused(f"{verb} {key!r} of cell {entry['cell_id']!r}, not {cell_id!r}")
        if entry["flow"] is None:
            raise Refused(f"{verb} {key!r}, which was voided")
        return CountedFlow.from_state(entry["flow"])

    def _remember(self, key: str, cell_id: str, flow: CountedFlow | None) -> None:
        self._s.ledger[key] = {"cell_id": cell_id, "flow": flow.to_state() if flow else None}

    def _add(
        self, cell_id: str, flow: CountedFlow, sign: int
    ) -> tuple[CellTotals, tuple[PeriodFlows, ...]]:
        totals = self._totals(cell_id).counting(flow, sign)
        self._s.totals[cell_id] = totals.to_state()
        month = flow.month(self._zone)
        flows = self._month(cell_id, month).with_flow(flow, self._on_time, self._zone, sign)
        self._put_month(flows)
        return totals, (flows,)

    def _unchanged(self, cell_id: str) -> Applied:
        return Applied(Outcome.DUPLICATE, self._totals(cell_id), ())

    def _totals(self, cell_id: str) -> CellTotals:
        state = self._s.totals.get(cell_id)
        return CellTotals.from_state(state) if state else CellTotals(cell_id=cell_id)

    def _put_month(self, flows: PeriodFlows) -> None:
        self._s.months[month_key(flows.cell_id, flows.period)] = flows.to_state()
        known = self._s.index.get(flows.cell_id) or []
        if flows.period.key not in known:
            self._s.index[flows.cell_id] = sorted([*known, flows.period.key])

    def _month(self, cell_id: str, month: Period) -> PeriodFlows:
        state = self._s.months.get(month_key(cell_id, month))
        return PeriodFlows.from_state(state) if state else PeriodFlows(cell_id, month)


def month_key(cell_id: str, month: Period) -> str:
    return f"{cell_id}|{month.key}"


def _unique(months: tuple[PeriodFlows, ...]) -> tuple[PeriodFlows, ...]:
    """The latest state of each month (a correction may move a flow to another month)."""
    latest = {flows.period: flows for flows in months}
    return tuple(latest.values())


def totals_updated(totals: CellTotals) -> CellTotalsUpdated:
    return CellTotalsUpdated(
        cell_id=totals.cell_id,
        total_kg=round(totals.total_kg, KG_DECIMALS),
        kg_by_category=_rounded(totals.kg_by_category),
        kg_by_stage=_rounded(totals.kg_by_stage),
        event_count=totals.event_count,
        last_event_at=totals.last_event_at,
    )


def month_flows_updated(flows: PeriodFlows) -> CellPeriodFlowsUpdated:
    return CellPeriodFlowsUpdated.model_validate(flows.to_state())


def _rounded(amounts: dict[str, float]) -> dict[str, float]:
    return {key: round(kg, KG_DECIMALS) for key, kg in sorted(amounts.items())}
