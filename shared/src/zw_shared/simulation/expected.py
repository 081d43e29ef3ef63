"""What the services must show after a simulated day, worked out from the plan alone (pure).

Nothing here asks a service or uses its code: the rules are the documented ones, restated.
- Cell totals (scoring): every flow recorded counts once in its facility's cell (a retry
  changes nothing); a correction replaces the flow's quantity; a void takes it out.
- Manifests (hazardous-transfer): the status after the last act; a delivery not confirmed
  within 5 working days is overdue (the plan's deliveries are either weeks or hours old);
  a paper manifest entered weeks after it was issued is overdue at once; a discrepancy when
  what arrived differs from the declaration by more than the tolerance or was refused.
- Vetoes (scoring's indicator system): a cell is disqualified for a month when one of its
  shippers' manifests of that month is overdue or refused in its latest receipt (for the
  cell types that veto applies to), or when an inspection found a serious violation or a
  falsified report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from zw_shared.simulation.district import DistrictDay
from zw_shared.simulation.manifest_fold import ManifestState, fold
from zw_shared.simulation.records import FlowReport

KG_DECIMALS = 9
MANIFEST_VETO_CELL_TYPES = frozenset(
    {"factory", "industrial_park", "enterprise_group", "hospital", "campus"}
)
MANIFEST_VETO = "hazardous_manifest_overdue_or_refused"


@dataclass(frozen=True)
class CellTotals:
    total_kg: float
    event_count: int
    kg_by_category: dict[str, float]
    kg_by_stage: dict[str, float]


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def cell_totals(plan: DistrictDay) -> dict[str, CellTotals]:
    """Per cell (every cell, those without flows at 0): what scoring must have counted."""
    current: dict[tuple[str, str], FlowReport] = {
        (r.facility_id, r.event_id): r for r in plan.reports
    }
    for fix in plan.corrections:
        current[(fix.report.facility_id, fix.target_event_id)] = fix.report
    for void in plan.voids:
        del current[(void.facility_id, void.target_event_id)]
    cells = {f.facility_id: f.cell_id for f in plan.facilities}
    grouped: dict[str, list[FlowReport]] = {c.cell_id: [] for c in plan.cells}
    for report in current.values():
        grouped[cells[report.facility_id]].append(report)
    return {cell_id: _totals(reports) for cell_id, reports in grouped.items()}


def _totals(reports: list[FlowReport]) -> CellTotals:
    by_category: dict[str, float] = defaultdict(float)
    by_stage: dict[str, float] = defaultdict(float)
    for r in reports:
        by_category[r.category] += r.kg
        by_stage[r.stage] += r.kg
    return CellTotals(
        total_kg=round(sum(r.kg for r in reports), KG_DECIMALS),
        event_count=len(reports),
        kg_by_category={k: round(v, KG_DECIMALS) for k, v in sorted(by_category.items())},
        kg_by_stage={k: round(v, KG_DECIMALS) for k, v in sorted(by_stage.items())},
    )


def manifest_states(plan: DistrictDay, now: datetime) -> dict[str, ManifestState]:
    """Per manifest key: its state once every act of the plan is recorded, as of ``now``."""
    assert plan.transfers is not None
    return {m.key: fold(m, now) for m in plan.transfers.manifests}


def vetoes(plan: DistrictDay, now: datetime) -> dict[str, dict[str, list[str]]]:
    """Per month: the cells disqualified and by which veto items."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    assert plan.transfers is not None
    for manifest in plan.transfers.manifests:
        state = fold(manifest, now)
        if manifest.cell_type in MANIFEST_VETO_CELL_TYPES and (state.overdue or state.refused):
            found[month_of(state.shipped_on)][manifest.cell_id].add(MANIFEST_VETO)
    for assessment in plan.assessments:
        for veto in assessment.vetoes:
            found[month_of(assessment.occurred_at.date())][assessment.cell_id].add(veto)
    return {
        month: {cell: sorted(items) for cell, items in sorted(cells.items())}
        for month, cells in sorted(found.items())
    }


def manifest_compliance(plan: DistrictDay, now: datetime) -> dict[str, dict[str, float | None]]:
    """Per month and cell (of the types the indicator applies to, with manifests that month):
    kg declared on manifests closed on time / kg declared on manifests closed or overdue."""
    due: dict[tuple[str, str], float] = defaultdict(float)
    on_time: dict[tuple[str, str], float] = defaultdict(float)
    assert plan.transfers is not None
    for manifest in plan.transfers.manifests:
        if manifest.cell_type not in MANIFEST_VETO_CELL_TYPES:
            continue
        state = fold(manifest, now)
        key = (month_of(state.shipped_on), manifest.cell_id)
        due[key] += state.declared_kg if state.closed or state.overdue else 0.0
        on_time[key] += state.declared_kg if state.closed and not state.overdue else 0.0
    result: dict[str, dict[str, float | None]] = defaultdict(dict)
    for (month, cell), kg in sorted(due.items()):
        result[month][cell] = on_time[(month, cell)] / kg if kg else None
    return dict(result)


def expected_results(plan: DistrictDay, now: datetime) -> dict[str, Any]:
    """Everything above, JSON-ready (manifests by key; the runner adds their numbers)."""
    assert plan.transfers is not None
    compliance = manifest_compliance(plan, now)
    months = sorted({month_of(plan.day), *vetoes(plan, now), *compliance})
    return {
        "day": plan.day.isoformat(),
        "periods": months,
        "cells": {
            c.cell_id: {"cell_type": c.cell_type, "district": c.district} for c in plan.cells
        },
        "totals": {cell: vars(t) for cell, t in cell_totals(plan).items()},
        "manifests": {key: s.as_json() for key, s in manifest_states(plan, now).items()},
        "applications": {
            a.key: "approved" if a.approved else "refused" for a in plan.transfers.applications
        },
        "vetoes": vetoes(plan, now),
        "manifest_compliance": compliance,
        "sent": {
            "cells": len(plan.cells),
            "facilities": len(plan.facilities),
            "flows": len(plan.reports),
            "batched_flows": sum(len(r) for r in plan.batched.values()),
            "single_flows": len(plan.singles),
            "repeats": len(plan.repeats),
            "corrections": len(plan.corrections),
            "voids": len(plan.voids),
            "assessments": len(plan.assessments),
            "applications": len(plan.transfers.applications),
            "manifests": len(plan.transfers.manifests),
        },
    }
