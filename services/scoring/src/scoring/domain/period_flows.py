"""What a cell did in one period, as the indicator formulas need it: kilograms and event
counts per waste category and flow stage, counted facts (reports on time, and the
manifests, inspections and surveys the configuration can refer to) and the number of
reports made on each local day. Pure and immutable.

The worker keeps months; a quarter or a year is the merge of its months (days never
overlap between months, so merging is exact)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.counted_flow import CountedFlow
from scoring.domain.members import member, value_of
from scoring.domain.periods import Period
from zw_shared.contracts.waste import FlowStage, WasteCategory

KG_DECIMALS = 9  # float noise below a microgram is dropped, so that add-then-remove is exact


class Fact(StrEnum):
    """Counted facts an indicator or a veto item can refer to in the configuration."""

    FLOW_EVENTS = "flow_events"
    REPORTS_ON_TIME = "reports_on_time"
    MANIFESTS_TOTAL = "manifests_total"
    MANIFESTS_CLOSED_ON_TIME = "manifests_closed_on_time"
    MANIFESTS_OVERDUE = "manifests_overdue"
    MANIFESTS_REFUSED = "manifests_refused"
    # hazardous-waste manifests (see scoring.domain.hazardous for what each one counts)
    MANIFESTS_CLOSED = "manifests_closed"
    MANIFESTS_WITH_DISCREPANCY = "manifests_with_discrepancy"
    MANIFEST_KG_DUE = "manifest_kg_due"
    MANIFEST_KG_CLOSED_ON_TIME = "manifest_kg_closed_on_time"
    INSPECTIONS_TOTAL = "inspections_total"
    INSPECTIONS_PASSED = "inspections_passed"
    SERIOUS_VIOLATIONS = "serious_violations"
    FALSIFIED_REPORTS = "falsified_reports"
    SURVEYS = "surveys"
    SURVEY_SCORE_TOTAL = "survey_score_total"


@dataclass(frozen=True)
class Mass:
    kg: float = 0.0
    events: int = 0

    def __add__(self, other: Mass) -> Mass:
        return Mass(round(self.kg + other.kg, KG_DECIMALS), self.events + other.events)


MassKey = tuple[WasteCategory, FlowStage]
_NO_MASS = Mass()  # immutable: one will do


@dataclass(frozen=True)
class PeriodFlows:
    cell_id: str
    period: Period
    mass: Mapping[MassKey, Mass] = field(default_factory=dict)
    facts: Mapping[Fact, float] = field(default_factory=dict)
    report_days: Mapping[date, int] = field(default_factory=dict)  # local day -> reports

    def with_flow(
        self, flow: CountedFlow, on_time_within: timedelta, zone: ZoneInfo, sign: int = 1
    ) -> PeriodFlows:
        """Counts one flow (``sign=-1`` takes a counted flow back out)."""
        facts = dict(self.facts)
        _bump(facts, Fact.FLOW_EVENTS, sign)
        if flow.on_time(on_time_within):
            _bump(facts, Fact.REPORTS_ON_TIME, sign)
        return PeriodFlows(
            self.cell_id,
            self.period,
            _plus(self.mass, (flow.category, flow.stage), Mass(sign * flow.kg, sign)),
            facts,
            _plus_days(self.report_days, flow.report_day(zone), sign),
        )

    def without_flow(
        self, flow: CountedFlow, on_time_within: timedelta, zone: ZoneInfo
    ) -> PeriodFlows:
        return self.with_flow(flow, on_time_within, zone, sign=-1)

    def with_fact(self, fact: Fact, amount: float = 1.0) -> PeriodFlows:
        facts = dict(self.facts)
        _bump(facts, fact, amount)
        return replace(self, facts=facts)

    def with_facts(self, facts: Mapping[Fact, float], sign: int = 1) -> PeriodFlows:
        """Adds facts (``sign=-1`` takes them back out)."""
        flows = self
        for fact, amount in facts.items():
            flows = flows.with_fact(fact, sign * amount)
        return flows

    @classmethod
    def merged(cls, cell_id: str, period: Period, parts: Iterable[PeriodFlows]) -> PeriodFlows:
        """The flows of a longer period from those of the months in it (summed in place, in
        the order a month after a month would add them: a copy per addition was ~6% of the
        worker's score publication, py-spy)."""
        mass: dict[MassKey, Mass] = {}
        facts: dict[Fact, float] = {}
        report_days: dict[date, int] = {}
        for part in parts:
            if part.cell_id != cell_id:
                raise ValueError(f"flows of {part.cell_id!r} merged into {cell_id!r}")
            for key, amount in part.mass.items():
                _add_mass(mass, key, amount)
            for fact, count in part.facts.items():
                _bump(facts, fact, count)
            for day, reports in part.report_days.items():
                _add_reports(report_days, day, reports)
        return cls(cell_id, period, mass, facts, report_days)

    def mass_of(
        self, categories: Iterable[WasteCategory] | None, stages: Iterable[FlowStage]
    ) -> Mass:
        """Total over the stages given, for the categories given (``None``: every one)."""
        wanted_categories = None if categories is None else _as_set(categories)
        wanted_stages = _as_set(stages)
        kg, events = 0.0, 0  # summed as Mass.__add__ would, without a Mass per addition
        for (category, stage), mass in self.mass.items():
            if stage in wanted_stages and (
                wanted_categories is None or category in wanted_categories
            ):
                kg = round(kg + mass.kg, KG_DECIMALS)
                events += mass.events
        return Mass(kg, events)

    def fact(self, fact: Fact) -> float:
        return self.facts.get(fact, 0.0)

    def days_reported(self, up_to: date) -> int:
        """Days of the period, up to ``up_to``, with at least one report (a report made
        after the period, about a flow within it, is late: it marks no day of the period)."""
        first, last = self.period.first_day, min(up_to, self.period.last_day)
        return sum(1 for day, n in self.report_days.items() if first <= day <= last and n > 0)

    def to_state(self) -> dict[str, Any]:
        """A JSON-safe dict, as kept in the worker's tables and published."""
        return {
            "cell_id": self.cell_id,
            "period": self.period.key,
            "mass": [
                {"category": value_of(c), "stage": value_of(s), "kg": m.kg, "events": m.events}
                for (c, s), m in sorted(self.mass.items())
            ],
            "facts": {value_of(fact): amount for fact, amount in sorted(self.facts.items())},
            "report_days": {day.isoformat(): n for day, n in sorted(self.report_days.items())},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> PeriodFlows:
        return cls(
            cell_id=state["cell_id"],
            period=Period.parse(state["period"]),
            mass={
                (member(WasteCategory, m["category"]), member(FlowStage, m["stage"])): Mass(
                    m["kg"], m["events"]
                )
                for m in state["mass"]
            },
            facts={member(Fact, name): float(amount) for name, amount in state["facts"].items()},
            report_days={_day(d): int(n) for d, n in state["report_days"].items()},
        )


def _as_set(items: Iterable[Any]) -> frozenset[Any] | set[Any]:
    """``items`` as a set: the configuration's selectors are frozensets already."""
    return items if isinstance(items, frozenset) else set(items)


def _bump(facts: dict[Fact, float], fact: Fact, amount: float) -> None:
    # rounded like masses: facts may be kilograms, and add-then-remove must be exact
    total = round(facts.get(fact, 0.0) + amount, KG_DECIMALS)
    if total:
        facts[fact] = total
    else:
        facts.pop(fact, None)


def _plus(mass: Mapping[MassKey, Mass], key: MassKey, delta: Mass) -> dict[MassKey, Mass]:
    added = dict(mass)
    _add_mass(added, key, delta)
    return added


def _add_mass(mass: dict[MassKey, Mass], key: MassKey, delta: Mass) -> None:
    total = mass.get(key, _NO_MASS) + delta
    if total.events:
        mass[key] = total
    else:
        mass.pop(key, None)


def _plus_days(days: Mapping[date, int], day: date, delta: int) -> dict[date, int]:
    added = dict(days)
    _add_reports(added, day, delta)
    return added


def _add_reports(days: dict[date, int], day: date, delta: int) -> None:
    total = days.get(day, 0) + delta
    if total:
        days[day] = total
    else:
        days.pop(day, None)


@lru_cache(maxsize=4096)
def _day(iso: str) -> date:
    """A report day of a state (the same few hundred days recur in every month's state)."""
    return date.fromisoformat(iso)
