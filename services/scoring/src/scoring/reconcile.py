"""Totals and months recomputed from the ledger, after the worker's tables were restored.

The worker restores three tables from three changelogs: the ledger (what each counted event
contributed), the cells' totals and their months. A batch writes its records to the three
in separate record batches, so a worker that died while they were on their way may leave
some and not the others: say the ledger entry of an event but not the totals that count it.
The event is redelivered (its offset was not committed) but the ledger calls it a
duplicate, and it is never counted; or the totals count an event the ledger does not know,
and the redelivery counts it twice. The ledger is the record of what was counted; totals
and months are derived from it. After every rebalance the worker derives them again for its
cells and repairs those that differ (:func:`repairs`).

An entry holds a flow's latest version (``flow``; ``None`` once voided), an assessment's
facts, or a manifest's facts; a correction's or a void's own entry (``applied_to``)
contributes nothing, its flow's entry holds the result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.counted_flow import CountedFlow
from scoring.domain.period_flows import Fact, PeriodFlows
from scoring.domain.periods import Period
from scoring.domain.totals import CellTotals
from scoring.handlers import KG_DECIMALS, Stores, month_key


@dataclass(frozen=True)
class Repair:
    """A cell whose totals or months differ from what its ledger entries add up to."""

    cell_id: str
    totals: CellTotals | None  # None: the totals held are right
    months: tuple[PeriodFlows, ...]  # the months to write (an emptied month included)


@dataclass(frozen=True)
class Derived:
    totals: CellTotals
    months: dict[str, PeriodFlows]  # month key -> flows


def derive(
    cell_id: str, entries: Iterable[Mapping[str, Any]], zone: ZoneInfo, on_time: timedelta
) -> Derived | None:
    """What the cell's entries add up to; None if one cannot be replayed (an assessment
    counted before entries kept their facts)."""
    totals = CellTotals(cell_id=cell_id)
    months: dict[str, PeriodFlows] = {}

    def month(period: Period) -> PeriodFlows:
        return months.get(month_key(cell_id, period)) or PeriodFlows(cell_id, period)

    def put(flows: PeriodFlows) -> None:
        months[month_key(cell_id, flows.period)] = flows

    for entry in entries:
        if entry.get("flow"):
            flow = CountedFlow.from_state(entry["flow"])
            totals = totals.counting(flow)
            put(month(flow.month(zone)).with_flow(flow, on_time, zone))
        elif "assessment" in entry:
            if "facts" not in entry:
                return None
            put(month(Period.parse(entry["assessment"])).with_facts(_facts(entry["facts"])))
        elif "month" in entry and "facts" in entry:
            put(month(Period.parse(entry["month"])).with_facts(_facts(entry["facts"])))
    return Derived(totals, months)


def repairs(
    stores: Stores, owns: Callable[[str], bool], zone: ZoneInfo, on_time: timedelta
) -> list[Repair]:
    """The cells ``owns`` picks (of the worker's) whose totals or months are not what their
    ledger entries add up to, with the states to write. Reads ``stores.index`` for the
    months a cell holds: rebuild it first (for every cell of the worker)."""
    entries: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for entry in list(stores.ledger.values()):
        if entry and owns(entry["cell_id"]):
            entries[entry["cell_id"]].append(entry)
    cells = {c for c in {*entries, *list(stores.totals), *stores.index} if owns(c)}
    found: list[Repair] = []
    for cell_id in sorted(cells):
        derived = derive(cell_id, entries.get(cell_id, ()), zone, on_time)
        if derived is not None and (repair := _compare(stores, cell_id, derived)) is not None:
            found.append(repair)
    return found


def _compare(stores: Stores, cell_id: str, derived: Derived) -> Repair | None:
    state = stores.totals.get(cell_id)
    held = CellTotals.from_state(state) if state else CellTotals(cell_id=cell_id)
    totals = None
    if _totals_key(held) != _totals_key(derived.totals):
        # "the latest occurrence ever counted": a voided flow's time stays
        totals = replace(derived.totals, last_event_at=_latest(held, derived.totals))
    months: list[PeriodFlows] = []
    keys = {month_key(cell_id, Period.parse(m)) for m in stores.index.get(cell_id) or ()}
    for key in sorted(keys | set(derived.months)):
        state = stores.months.get(key)
        wanted = derived.months.get(key)
        if wanted is None:  # counted nothing the ledger knows of: an emptied month
            if state is None:
                continue
            wanted = PeriodFlows(cell_id, Period.parse(state["period"]))
        if state is None or _canonical(state) != _canonical(wanted.to_state()):
            months.append(wanted)
    if totals is None and not months:
        return None
    return Repair(cell_id, totals, tuple(months))


def _facts(raw: Mapping[str, float]) -> dict[Fact, float]:
    return {Fact(name): float(amount) for name, amount in raw.items()}


def _totals_key(totals: CellTotals) -> Any:
    return (totals.event_count, _canonical(totals.to_state() | {"last_event_at": None}))


def _latest(held: CellTotals, derived: CellTotals) -> Any:
    times = [t for t in (held.last_event_at, derived.last_event_at) if t is not None]
    return max(times) if times else None


def _canonical(value: Any) -> Any:
    """A state compared as published: amounts to the milligram, zero amounts dropped."""
    if isinstance(value, float):
        return round(value, KG_DECIMALS) + 0.0
    if isinstance(value, Mapping):
        return {k: _canonical(v) for k, v in value.items() if not _zero(v)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value if not _zero(v)]
    return value


def _zero(value: Any) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value, KG_DECIMALS) == 0
    if isinstance(value, Mapping) and "kg" in value and "events" in value:
        return bool(round(value["kg"], KG_DECIMALS) == 0 and value["events"] == 0)
    return False
