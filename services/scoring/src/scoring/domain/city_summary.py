"""The city (or a district, or one cell type) at a glance for one period: kilograms by
category and stage, recycling and landfill rates over all the cells' flows together, and how
many cells fall in each score band. Pure: built from the cells' scores and period flows.

Rates are ratios of summed kilograms (the city's rate, not a mean of the cells' rates):
- recycling rate: recycled, composted or digested / generated (every category);
- landfill rate: landfilled / generated (every category);
- residual landfill share: household dry waste landfilled / dry waste landfilled or
  incinerated (the indicator ``residual_landfill_share`` of the default system)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scoring.domain.indicators.scoring import DISQUALIFIED, CellScore
from scoring.domain.period_flows import KG_DECIMALS, PeriodFlows
from zw_shared.contracts.waste import FlowStage, WasteCategory

NO_DATA = "no_data"
RECYCLED = (FlowStage.RECYCLED, FlowStage.COMPOSTED_OR_DIGESTED)
RESIDUAL_DISPOSAL = (FlowStage.LANDFILLED, FlowStage.INCINERATED_WITH_ENERGY_RECOVERY)


@dataclass(frozen=True)
class ScoredCell:
    score: CellScore
    flows: PeriodFlows


@dataclass(frozen=True)
class DistrictSummary:
    district: str
    cells: int
    mean_score: float | None
    generated_kg: float
    recycling_rate: float | None


@dataclass(frozen=True)
class CitySummary:
    period: str
    cells: int
    cells_with_flows: int
    flow_events: int
    generated_kg: float
    generated_kg_by_category: dict[str, float]
    kg_by_stage: dict[str, float]
    recycling_rate: float | None
    landfill_rate: float | None
    residual_landfill_share: float | None
    mean_score: float | None  # over the qualified cells that have a score
    cells_by_band: dict[str, int]
    districts: tuple[DistrictSummary, ...]


def summarize_city(period: str, cells: Sequence[ScoredCell], bands: Iterable[str]) -> CitySummary:
    """``bands``: the system's band names, best first; every band is counted (0 included),
    then ``no_data`` and ``disqualified``."""
    for cell in cells:
        if cell.score.period != period or cell.flows.period.key != period:
            raise ValueError(f"cell {cell.score.cell_id!r} is not scored for {period}")
    flows = [cell.flows for cell in cells]
    by_stage = _kg_by_stage(flows)
    generated = by_stage.get(FlowStage.GENERATED.value, 0.0)
    by_band = dict.fromkeys([*bands, NO_DATA, DISQUALIFIED], 0)
    for cell in cells:
        by_band[cell.score.band] = by_band.get(cell.score.band, 0) + 1
    return CitySummary(
        period=period,
        cells=len(cells),
        cells_with_flows=sum(1 for cell in cells if cell.score.flow_events > 0),
        flow_events=sum(cell.score.flow_events for cell in cells),
        generated_kg=generated,
        generated_kg_by_category=_generated_by_category(flows),
        kg_by_stage=by_stage,
        recycling_rate=_ratio(_kg(flows, None, RECYCLED), generated),
        landfill_rate=_ratio(by_stage.get(FlowStage.LANDFILLED.value, 0.0), generated),
        residual_landfill_share=_residual_landfill_share(flows),
        mean_score=_mean_score(cells),
        cells_by_band=by_band,
        districts=_districts(cells),
    )


def _kg(
    flows: Iterable[PeriodFlows],
    categories: Iterable[WasteCategory] | None,
    stages: Iterable[FlowStage],
) -> float:
    stages = tuple(stages)
    wanted = None if categories is None else tuple(categories)
    return round(sum(f.mass_of(wanted, stages).kg for f in flows), KG_DECIMALS)


def _kg_by_stage(flows: Iterable[PeriodFlows]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for f in flows:
        for (_, stage), mass in f.mass.items():
            totals[stage.value] += mass.kg
    return {stage.value: round(totals[stage.value], KG_DECIMALS) for stage in FlowStage}


def _generated_by_category(flows: Iterable[PeriodFlows]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for f in flows:
        for (category, stage), mass in f.mass.items():
            if stage is FlowStage.GENERATED:
                totals[category.value] += mass.kg
    return {c.value: round(totals[c.value], KG_DECIMALS) for c in WasteCategory}


def _residual_landfill_share(flows: Sequence[PeriodFlows]) -> float | None:
    dry = (WasteCategory.HOUSEHOLD_DRY,)
    landfilled = _kg(flows, dry, (FlowStage.LANDFILLED,))
    return _ratio(landfilled, _kg(flows, dry, RESIDUAL_DISPOSAL))


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _mean_score(cells: Iterable[ScoredCell]) -> float | None:
    scores = [c.score.score for c in cells if c.score.qualified and c.score.score is not None]
    return sum(scores) / len(scores) if scores else None


def _districts(cells: Sequence[ScoredCell]) -> tuple[DistrictSummary, ...]:
    by_district: dict[str, list[ScoredCell]] = defaultdict(list)
    for cell in cells:
        by_district[cell.score.district].append(cell)
    rows = []
    for district, members in sorted(by_district.items()):
        flows = [m.flows for m in members]
        generated = _kg(flows, None, (FlowStage.GENERATED,))
        rows.append(
            DistrictSummary(
                district=district,
                cells=len(members),
                mean_score=_mean_score(members),
                generated_kg=generated,
                recycling_rate=_ratio(_kg(flows, None, RECYCLED), generated),
            )
        )
    return tuple(rows)
