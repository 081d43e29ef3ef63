"""The formulas an indicator can use (DOMAIN.md section 3), as configuration models, and how
each is measured over a cell's flows in a period. A formula that lacks data measures
``None``, never a made-up number."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from scoring.domain.cells import CellProfile
from scoring.domain.period_flows import Fact, PeriodFlows
from zw_shared.contracts.waste import FlowStage, WasteCategory


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MassSelector(_Frozen):
    """Kilograms at the given stages, of the given categories (omitted: every category)."""

    categories: frozenset[WasteCategory] | None = None
    stages: frozenset[FlowStage] = Field(min_length=1)


class MassRatio(_Frozen):
    """numerator kg / denominator kg, e.g. recycling rate = recycled / generated."""

    kind: Literal["mass_ratio"]
    numerator: MassSelector
    denominator: MassSelector


class FactRatio(_Frozen):
    """sum of numerator facts / sum of denominator facts, e.g. closed on-time manifests /
    all manifests, or reports on time / all reports."""

    kind: Literal["fact_ratio"]
    numerator: tuple[Fact, ...] = Field(min_length=1)
    denominator: tuple[Fact, ...] = Field(min_length=1)


class FactMean(_Frozen):
    """total / count, e.g. the mean satisfaction-survey score."""

    kind: Literal["fact_mean"]
    total: Fact
    count: Fact


class PerCapitaReduction(_Frozen):
    """How far below its baseline the cell's waste per person per day is, as a fraction of
    the baseline: (baseline - actual) / baseline; negative when it generates more."""

    kind: Literal["per_capita_reduction"]
    generated: MassSelector


class ReportingCompleteness(_Frozen):
    """Share of the period's days (so far) on which the cell reported at least once."""

    kind: Literal["reporting_completeness"]


Formula = Annotated[
    MassRatio | FactRatio | FactMean | PerCapitaReduction | ReportingCompleteness,
    Field(discriminator="kind"),
]

Counts = dict[str, float]


def measure(
    formula: Formula, flows: PeriodFlows, profile: CellProfile, as_of: date
) -> tuple[float | None, Counts]:
    """The formula's value (``None`` without data) and the counts behind it."""
    if isinstance(formula, MassRatio):
        return _mass_ratio(formula, flows)
    if isinstance(formula, FactRatio):
        return _fact_ratio(formula, flows)
    if isinstance(formula, FactMean):
        return _fact_mean(formula, flows)
    if isinstance(formula, PerCapitaReduction):
        return _per_capita_reduction(formula, flows, profile, as_of)
    return _reporting_completeness(flows, as_of)


def _mass_ratio(formula: MassRatio, flows: PeriodFlows) -> tuple[float | None, Counts]:
    num = flows.mass_of(formula.numerator.categories, formula.numerator.stages)
    den = flows.mass_of(formula.denominator.categories, formula.denominator.stages)
    counts = {
        "numerator_kg": num.kg,
        "numerator_events": num.events,
        "denominator_kg": den.kg,
        "denominator_events": den.events,
    }
    return (num.kg / den.kg if den.kg > 0 else None), counts


def _fact_ratio(formula: FactRatio, flows: PeriodFlows) -> tuple[float | None, Counts]:
    num = sum(flows.fact(f) for f in formula.numerator)
    den = sum(flows.fact(f) for f in formula.denominator)
    return (num / den if den > 0 else None), {"numerator": num, "denominator": den}


def _fact_mean(formula: FactMean, flows: PeriodFlows) -> tuple[float | None, Counts]:
    total, count = flows.fact(formula.total), flows.fact(formula.count)
    return (total / count if count > 0 else None), {"total": total, "count": count}


def _per_capita_reduction(
    formula: PerCapitaReduction, flows: PeriodFlows, profile: CellProfile, as_of: date
) -> tuple[float | None, Counts]:
    generated = flows.mass_of(formula.generated.categories, formula.generated.stages)
    days = flows.period.days_elapsed(as_of)
    baseline = profile.baseline_kg_per_person_day
    counts: Counts = {
        "generated_kg": generated.kg,
        "generated_events": generated.events,
        "population": profile.population,
        "days": days,
        "baseline_kg_per_person_day": baseline,
    }
    if generated.events == 0 or profile.population == 0 or days == 0 or baseline <= 0:
        return None, counts
    actual = generated.kg / (profile.population * days)
    counts["kg_per_person_day"] = actual
    return (baseline - actual) / baseline, counts


def _reporting_completeness(flows: PeriodFlows, as_of: date) -> tuple[float | None, Counts]:
    days = flows.period.days_elapsed(as_of)
    reported = flows.days_reported(up_to=as_of)
    return (reported / days if days > 0 else None), {"days_reported": reported, "days": days}
