"""One seeded day of a district: its zero-waste cells, their facilities and every waste flow,
correction, void and assessment of the day (pure: the same arguments give the same plan).

The cells' generators report what their people throw away in Shanghai's four household
streams and hand each stream to a treatment plant of the district's eco-industrial park,
which reports the receipt and the fate (the park's collector reports collecting the
recyclables on the way). Shippers of hazardous waste also hand contaminated
packaging to the park's licensed operator. Most facilities post one batch; some post each
flow on its own, a few post a flow twice (a retry), and some correct or void a flow later.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from zw_shared.simulation.amendments import amendments, assessments
from zw_shared.simulation.records import (
    CST,
    Assessment,
    Cell,
    Correction,
    Facility,
    FlowReport,
    Void,
)
from zw_shared.simulation.transfers import HAZARDOUS_CODES, TransferPlan, plan_transfers

CELL_TYPES = (
    "community",
    "campus",
    "government_office",
    "hospital",
    "factory",
    "industrial_park",
    "shopping_mall",
    "enterprise_group",
    "hotel",
    "restaurant",
    "scenic_area",
)
DISTRICTS = ("Huangpu", "Xuhui", "Changning", "Jing'an", "Putuo", "Pudong")
POPULATION = {"community": (2000, 9000), "campus": (800, 4000), "hospital": (600, 2500)}
# kg per person per day by stream: orders of magnitude of Shanghai's daily tonnages.
KG_PER_PERSON_DAY = {
    "household_wet": 0.36,
    "household_dry": 0.64,
    "household_recyclable": 0.28,
    "household_hazardous": 0.004,
}
PLANTS = {  # plant -> (facility type, the fate it reports)
    "recycler": ("recycler", "recycled"),
    "digester": ("composting_digestion", "composted_or_digested"),
    "incinerator": ("incinerator", "incinerated_with_energy_recovery"),
    "landfill": ("landfill", "landfilled"),
    "hw-operator": ("hazardous_waste_operator", "stored"),
    "collector": ("collector", "collected"),  # picks up the recyclables on the way
}
ROUTE = {
    "household_wet": "digester",
    "household_dry": "incinerator",
    "household_recyclable": "recycler",
    "household_hazardous": "hw-operator",
    "hazardous": "hw-operator",
}
PACKAGING_CODE = "900-041-49"
# Event ids carry the stream and the step in short (the intake API takes up to 64 characters).
SHORT = {
    "household_wet": "wet",
    "household_dry": "dry",
    "household_recyclable": "rec",
    "household_hazardous": "hhw",
    "hazardous": "hw",
    "generated": "gen",
    "handed_over": "out",
    "received": "in",
    "collected": "col",
}


@dataclass
class DistrictDay:
    day: date
    cells: list[Cell]
    facilities: list[Facility]
    batched: dict[str, list[FlowReport]] = field(default_factory=dict)  # by facility
    singles: list[FlowReport] = field(default_factory=list)
    repeats: list[FlowReport] = field(default_factory=list)  # posted a second time
    corrections: list[Correction] = field(default_factory=list)
    voids: list[Void] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    transfers: TransferPlan | None = None

    @property
    def reports(self) -> list[FlowReport]:
        """Every flow recorded (each once, whether batched or single)."""
        return [r for reports in self.batched.values() for r in reports] + self.singles


def plan_day(
    day: date, seed: int, cells: int = 36, facilities: int = 300, namespace: str = "dd"
) -> DistrictDay:
    """``facilities`` counts the park's plants and the cells' generators together."""
    rng = random.Random(seed)
    park = Cell(f"{namespace}-eco-park", "Eco-industrial park", "industrial_park", "Pudong", 400)
    cell_list = [_cell(namespace, i, rng) for i in range(cells)]
    plants = [_plant(namespace, name, kind, park) for name, (kind, _) in PLANTS.items()]
    generators = [
        _generator(namespace, i, cell_list[i % cells])
        for i in range(max(cells, facilities - len(plants)))
    ]
    built = DistrictDay(day, [park, *cell_list], plants + generators)
    shares = {
        c.cell_id: c.population / sum(g.cell_id == c.cell_id for g in generators) for c in cell_list
    }
    transfers = plan_transfers(day, rng, _shippers(cell_list, generators), namespace)
    built.transfers = transfers
    for i, generator in enumerate(generators):
        reports = _generator_day(namespace, generator, shares[generator.cell_id], day, rng)
        if generator.facility_id in transfers.shipper_ids:
            reports += _packaging(namespace, generator, day, rng)
        _file(built, generator.facility_id, reports, single=i % 10 == 0)
    built.repeats, built.corrections, built.voids = amendments(built.reports, rng)
    built.assessments = assessments(cell_list, day, rng)
    return built


def _cell(namespace: str, i: int, rng: random.Random) -> Cell:
    cell_type = CELL_TYPES[i % len(CELL_TYPES)]
    low, high = POPULATION.get(cell_type, (60, 1500))
    name = f"{cell_type.replace('_', ' ').title()} {i:02d}"
    district = DISTRICTS[i % len(DISTRICTS)]
    return Cell(f"{namespace}-cell-{i:02d}", name, cell_type, district, rng.randint(low, high))


def _plant(namespace: str, name: str, kind: str, park: Cell) -> Facility:
    codes = (PACKAGING_CODE, *HAZARDOUS_CODES) if kind == "hazardous_waste_operator" else ()
    return Facility(
        f"{namespace}-{name}",
        f"Park {name}",
        kind,
        park.cell_id,
        park.district,
        tuple(dict.fromkeys(codes)),
    )


def _generator(namespace: str, i: int, cell: Cell) -> Facility:
    facility_id = f"{namespace}-gen-{i:03d}"
    return Facility(facility_id, f"{cell.name} site {i}", "generator", cell.cell_id, cell.district)


def _shippers(cells: list[Cell], generators: list[Facility]) -> dict[str, tuple[str, str]]:
    """The first generator of every cell, by id -> (cell id, cell type)."""
    found: dict[str, tuple[str, str]] = {}
    for cell in cells:
        first = next(g for g in generators if g.cell_id == cell.cell_id)
        found[first.facility_id] = (cell.cell_id, cell.cell_type)
    return found


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CST)


def _generator_day(
    namespace: str, generator: Facility, people: float, day: date, rng: random.Random
) -> list[FlowReport]:
    at = _at(day, rng.randint(6, 13), rng.randint(0, 59))
    reports: list[FlowReport] = []
    for stream, rate in KG_PER_PERSON_DAY.items():
        kg = max(0.1, round(people * rate * rng.lognormvariate(0, 0.2), 1))
        plant = ROUTE[stream]
        if stream == "household_dry" and generator.cell_id.endswith(("4", "9")):
            plant = "landfill"  # a few cells still send residual waste to landfill
        reports += _flow(namespace, generator, plant, stream, kg, at)
    return reports


def _packaging(
    namespace: str, generator: Facility, day: date, rng: random.Random
) -> list[FlowReport]:
    kg = round(rng.uniform(20, 200), 1)
    return _flow(namespace, generator, "hw-operator", "hazardous", kg, _at(day, 14), PACKAGING_CODE)


def _flow(
    namespace: str,
    source: Facility,
    plant: str,
    category: str,
    kg: float,
    at: datetime,
    code: str | None = None,
) -> list[FlowReport]:
    """Generated and handed over (by the source), received and its fate (by the plant)."""
    sink = f"{namespace}-{plant}"
    base = f"{at:%m%d}-{source.facility_id}-{SHORT[category]}"
    steps = [
        (source.facility_id, "generated", 0, None),
        (source.facility_id, "handed_over", 1, sink),
        (sink, "received", 3, source.facility_id),
        (sink, PLANTS[plant][1], 6, None),
    ]
    if category == "household_recyclable":
        steps.insert(2, (f"{namespace}-collector", "collected", 2, source.facility_id))
    unit_t = kg >= 1000  # big loads are weighed in tonnes
    quantity, unit = (kg / 1000, "t") if unit_t else (kg, "kg")
    return [
        FlowReport(
            facility,
            f"{base}-{SHORT.get(stage, 'fate')}",
            stage,
            category,
            quantity,
            unit,
            at + timedelta(hours=hours),
            counterparty,
            code,
        )
        for facility, stage, hours, counterparty in steps
    ]


def _file(built: DistrictDay, generator_id: str, reports: list[FlowReport], single: bool) -> None:
    """The generator's own reports go as one batch (or one POST each); the plants' reports
    join the plants' batches."""
    own = [r for r in reports if r.facility_id == generator_id]
    if single:
        built.singles += own
    else:
        built.batched.setdefault(generator_id, []).extend(own)
    for report in reports:
        if report.facility_id != generator_id:
            built.batched.setdefault(report.facility_id, []).append(report)
