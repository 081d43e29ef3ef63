"""An indicator system: versioned configuration of what a zero-waste cell is scored on.

Indicators are grouped in the MEE 2021 first-level categories; each has a formula, a target
(full points), a floor (no points), a weight (its points at most), the cell types it applies
to and per-type overrides. Veto items disqualify a cell whatever its points. Scores carry the
system's id and version; a new version is a new file, and the old one keeps its scores.
"""

from __future__ import annotations

from collections import OrderedDict
from enum import StrEnum
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.domain.cells import CellType
from scoring.domain.indicators.formulas import Formula
from scoring.domain.period_flows import Fact


class MeeCategory(StrEnum):
    """First-level categories of the national indicator system (环固体〔2021〕114号)."""

    SOURCE_REDUCTION = "source_reduction"  # 固体废物源头减量
    RECYCLING_AND_UTILISATION = "recycling_and_utilisation"  # 资源化利用
    FINAL_DISPOSAL = "final_disposal"  # 最终处置
    CAPACITY = "capacity"  # 保障能力
    PUBLIC_SATISFACTION = "public_satisfaction"  # 群众获得感


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scale(_Frozen):
    """Points rise linearly from 0 at ``floor`` to ``weight`` at ``target`` (either may be
    the larger: a target below the floor means lower is better)."""

    target: float
    floor: float
    weight: float = Field(gt=0)

    @model_validator(mode="after")
    def _target_differs_from_floor(self) -> Scale:
        if self.target == self.floor:
            raise ValueError("target and floor must differ")
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.target > self.floor


class ScaleOverride(_Frozen):
    target: float | None = None
    floor: float | None = None
    weight: float | None = Field(default=None, gt=0)


class Indicator(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    name_zh: str | None = None
    category: MeeCategory
    unit: str = "ratio"
    mandatory: bool = False  # starred in the national system
    formula: Formula
    scale: Scale
    applies_to: Literal["all"] | frozenset[CellType] = "all"
    overrides: dict[CellType, ScaleOverride] = Field(default_factory=dict)
    # Without data: no points (the cell must report), or left out of the score.
    when_no_data: Literal["zero_points", "excluded"] = "zero_points"

    def applies(self, cell_type: CellType) -> bool:
        return self.applies_to == "all" or cell_type in self.applies_to

    def scale_for(self, cell_type: CellType) -> Scale:
        override = self.overrides.get(cell_type)
        if override is None:
            return self.scale
        changes = override.model_dump(exclude_none=True)
        return Scale.model_validate({**self.scale.model_dump(), **changes})

    @model_validator(mode="after")
    def _overrides_are_valid(self) -> Indicator:
        for cell_type in self.overrides:
            if not self.applies(cell_type):
                raise ValueError(f"override for {cell_type.value!r}, to which it does not apply")
            self.scale_for(cell_type)  # raises if the overridden scale is invalid
        return self


class VetoItem(_Frozen):
    """Disqualifies a cell when the sum of ``facts`` in the period reaches ``at_least``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    facts: tuple[Fact, ...] = Field(min_length=1)
    at_least: float = Field(default=1, gt=0)
    applies_to: Literal["all"] | frozenset[CellType] = "all"

    def applies(self, cell_type: CellType) -> bool:
        return self.applies_to == "all" or cell_type in self.applies_to


class Band(_Frozen):
    name: str = Field(min_length=1)
    min_score: float = Field(ge=0, le=100)


class Plan(NamedTuple):
    indicators: tuple[tuple[Indicator, Scale], ...]
    veto_items: tuple[VetoItem, ...]


# Each system's plans, derived once per cell type (every score asks; an overridden scale is a
# validation of its own). Kept here, not on the model: a pydantic model's private attributes
# take part in its equality. Held by identity, with the system itself, so that an id is not
# reused while its entry exists.
PLANS_HELD = 16
_PLANS: OrderedDict[int, tuple[IndicatorSystem, dict[CellType, Plan]]] = OrderedDict()


class IndicatorSystem(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: int = Field(ge=1)
    name: str = Field(min_length=1)
    # Waste per person per day a cell of each type is measured against (kg), unless the
    # cell has a baseline of its own.
    baselines_kg_per_person_day: dict[CellType, float] = Field(default_factory=dict)
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    veto_items: tuple[VetoItem, ...] = ()
    bands: tuple[Band, ...] = Field(min_length=1)

    @field_validator("baselines_kg_per_person_day")
    @classmethod
    def _every_type_has_a_positive_baseline(
        cls, baselines: dict[CellType, float]
    ) -> dict[CellType, float]:
        missing = [t.value for t in CellType if baselines.get(t, 0) <= 0]
        if missing:
            raise ValueError(f"cell types without a positive baseline: {missing}")
        return baselines

    @field_validator("bands")
    @classmethod
    def _bands_cover_zero(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        if not any(band.min_score == 0 for band in bands):
            raise ValueError("one band must start at min_score 0")
        return tuple(sorted(bands, key=lambda band: band.min_score, reverse=True))

    @model_validator(mode="after")
    def _ids_unique_and_types_covered(self) -> IndicatorSystem:
        ids = [i.id for i in self.indicators] + [v.id for v in self.veto_items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate indicator or veto ids: {duplicates}")
        uncovered = [t.value for t in CellType if not self.indicators_for(t)]
        if uncovered:
            raise ValueError(f"no indicator applies to cell types {uncovered}")
        return self

    def indicators_for(self, cell_type: CellType) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.applies(cell_type))

    def plan_for(self, cell_type: CellType) -> Plan:
        """The indicators that apply to ``cell_type`` with their scales for it, and its veto
        items."""
        held = _PLANS.get(id(self))
        if held is None or held[0] is not self:
            held = _PLANS[id(self)] = (self, {})
            while len(_PLANS) > PLANS_HELD:
                _PLANS.popitem(last=False)
        plans = held[1]
        plan = plans.get(cell_type)
        if plan is None:
            plan = plans[cell_type] = Plan(
                tuple((i, i.scale_for(cell_type)) for i in self.indicators_for(cell_type)),
                tuple(v for v in self.veto_items if v.applies(cell_type)),
            )
        return plan

    def baseline_for(self, cell_type: CellType) -> float:
        return self.baselines_kg_per_person_day[cell_type]

    def band_of(self, score: float) -> str:
        return next(band.name for band in self.bands if score >= band.min_score)
