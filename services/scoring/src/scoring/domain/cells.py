"""Zero-waste cells as scoring sees them: the registered type, district and population
(from waste-intake's cell registry) and a baseline of waste per person per day."""

from __future__ import annotations

from dataclasses import dataclass

from zw_shared.contracts.waste import CellType

__all__ = ["CellProfile", "CellType"]


@dataclass(frozen=True)
class CellProfile:
    """``population``: the people the cell serves (residents, staff, students, beds...);
    ``baseline_kg_per_person_day``: what it generated per person per day before."""

    cell_id: str
    cell_type: CellType
    district: str
    population: int
    baseline_kg_per_person_day: float
    name: str = ""

    def __post_init__(self) -> None:
        if self.population < 0:
            raise ValueError("population must not be negative")
        if self.baseline_kg_per_person_day < 0:
            raise ValueError("baseline_kg_per_person_day must not be negative")
