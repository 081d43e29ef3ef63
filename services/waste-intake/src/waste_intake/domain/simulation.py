"""Realistic, reproducible waste flows for demos and benchmarks (seeded, pure).

Per cell, one generator reports what its people throw away each day in Shanghai's four
household streams (rates per person per day below), hands each stream to the facility that
treats it, and that facility reports the receipt and the fate. Some generators are
workshops that also produce contaminated packaging (名录 900-041-49) for a licensed operator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from zw_shared.contracts.waste import (
    CellRegistered,
    CellType,
    FacilityRegistered,
    FacilityType,
    Licence,
)

CST = timezone(timedelta(hours=8))
HAZARDOUS_CODE = "900-041-49"
# kg per person per day by stream: orders of magnitude of Shanghai's published daily
# tonnages (wet ~ 9 kt, dry ~ 16 kt, recyclables ~ 7 kt for ~ 25 M people); not calibrated.
KG_PER_PERSON_DAY = {
    "household_wet": 0.36,
    "household_dry": 0.64,
    "household_recyclable": 0.28,
    "household_hazardous": 0.004,
}
# Where each stream goes, and what that facility reports as its fate.
ROUTE = {
    "household_wet": (FacilityType.COMPOSTING_DIGESTION, "composted_or_digested"),
    "household_dry": (FacilityType.INCINERATOR, "incinerated_with_energy_recovery"),
    "household_recyclable": (FacilityType.RECYCLER, "recycled"),
    "household_hazardous": (FacilityType.HAZARDOUS_WASTE_OPERATOR, "stored"),
    "hazardous": (FacilityType.HAZARDOUS_WASTE_OPERATOR, "stored"),
}
# A landfill is registered too (for residues), though raw household waste should not go there.
TREATMENT_TYPES = [*dict.fromkeys(t for t, _ in ROUTE.values()), FacilityType.LANDFILL]
POPULATION = {CellType.COMMUNITY: (2000, 12000), CellType.CAMPUS: (800, 4000)}


@dataclass
class Scenario:
    cells: list[CellRegistered]
    facilities: list[FacilityRegistered]
    reports: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by facility

    @property
    def report_count(self) -> int:
        return sum(len(r) for r in self.reports.values())


def scenario(facilities: int, cells: int, days: int, seed: int, end: date) -> Scenario:
    """``facilities`` counts generators and treatment sites together (at least one of each
    treatment type plus one generator per cell are made, whatever the number asked)."""
    rng = random.Random(seed)
    cell_list = [_cell(i, rng) for i in range(cells)]
    treaters = [
        _facility(f"plant-{i:03d}", t, cell_list[0], rng) for i, t in enumerate(TREATMENT_TYPES)
    ]
    generators = [
        _facility(f"gen-{i:04d}", FacilityType.GENERATOR, cell_list[i % cells], rng)
        for i in range(max(cells, facilities - len(treaters)))
    ]
    built = Scenario(cell_list, treaters + generators)
    population = {c.cell_id: c.population for c in cell_list}
    by_type = {f.facility_type: f for f in treaters}
    for day in (end - timedelta(days=d) for d in range(days - 1, -1, -1)):
        for generator in generators:
            _day_of(built, generator, population, by_type, day, rng)
    return built


def _cell(i: int, rng: random.Random) -> CellRegistered:
    cell_type = list(CellType)[i % len(CellType)]
    low, high = POPULATION.get(cell_type, (50, 1500))
    return CellRegistered(
        cell_id=f"cell-{i:03d}",
        name=f"{cell_type.value.replace('_', ' ').title()} {i}",
        cell_type=cell_type,
        district=rng.choice(["Huangpu", "Xuhui", "Changning", "Jing'an", "Putuo", "Pudong"]),
        population=rng.randint(low, high),
    )


def _facility(
    facility_id: str, kind: FacilityType, cell: CellRegistered, rng: random.Random
) -> FacilityRegistered:
    licences: tuple[Licence, ...] = ()
    if kind is FacilityType.HAZARDOUS_WASTE_OPERATOR:
        licences = (
            Licence(
                licence_no=f"SH-HW-{rng.randint(1000, 9999)}", hazardous_codes=(HAZARDOUS_CODE,)
            ),
        )
    return FacilityRegistered(
        facility_id=facility_id,
        name=f"{kind.value.replace('_', ' ')} {facility_id}",
        facility_type=kind,
        district=cell.district,
        province="31",
        cell_id=cell.cell_id,
        licences=licences,
    )


def _day_of(
    built: Scenario,
    generator: FacilityRegistered,
    population: dict[str, int],
    treaters: dict[FacilityType, FacilityRegistered],
    day: date,
    rng: random.Random,
) -> None:
    people = population[generator.cell_id]
    at = datetime.combine(day, time(hour=rng.randint(7, 20), minute=rng.randint(0, 59)), CST)
    for stream, rate in KG_PER_PERSON_DAY.items():
        kg = round(people * rate * rng.lognormvariate(0, 0.15), 1)
        _flow(built, generator, treaters[ROUTE[stream][0]], stream, kg, at, day)
    if generator.facility_id.endswith(("3", "7")):  # about one generator in five: a workshop
        kg = round(rng.uniform(5, 80), 1)
        _flow(built, generator, treaters[ROUTE["hazardous"][0]], "hazardous", kg, at, day)


def _flow(
    built: Scenario,
    source: FacilityRegistered,
    sink: FacilityRegistered,
    category: str,
    kg: float,
    at: datetime,
    day: date,
) -> None:
    """Four reports: generated and handed over (by the source), received and its fate (by
    the facility that treats it)."""
    if kg <= 0:
        return
    base = f"{day:%Y%m%d}-{source.facility_id}-{category}"
    code = HAZARDOUS_CODE if category == "hazardous" else None
    common = {"category": category, "quantity": kg, "unit": "kg", "hazardous_code": code}
    fate = ROUTE[category][1]
    steps = [
        (source, "generated", 0, None),
        (source, "handed_over", 1, sink.facility_id),
        (sink, "received", 3, source.facility_id),
        (sink, fate, 6, None),
    ]
    for facility, stage, hours, counterparty in steps:
        report = {
            **common,
            "event_id": f"{base}-{stage}",
            "stage": stage,
            "occurred_at": (at + timedelta(hours=hours)).isoformat(),
            "is_estimate": stage == "generated",
            "counterparty_facility_id": counterparty,
        }
        built.reports.setdefault(facility.facility_id, []).append(report)
