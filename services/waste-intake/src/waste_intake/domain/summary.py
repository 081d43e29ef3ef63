"""A facility's daily summary: what its flows of one local day add up to, corrections
applied and voided flows left out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, tzinfo

from waste_intake.domain.ledger import FlowHistory


@dataclass
class DailySummary:
    facility_id: str
    day: date
    timezone: str
    flow_count: int = 0
    total_kg: float = 0.0
    estimated_kg: float = 0.0
    kg_by_category: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    kg_by_stage: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    corrected_count: int = 0
    voided_count: int = 0


def summarise(
    facility_id: str, flows: Iterable[FlowHistory], day: date, tz: tzinfo
) -> DailySummary:
    summary = DailySummary(facility_id, day, str(tz))
    for flow in flows:
        if flow.current.occurred_at.astimezone(tz).date() == day:
            _count(summary, flow)
    summary.kg_by_category = dict(sorted(summary.kg_by_category.items()))
    summary.kg_by_stage = dict(sorted(summary.kg_by_stage.items()))
    return summary


def _count(summary: DailySummary, flow: FlowHistory) -> None:
    if flow.voided:
        summary.voided_count += 1
        return
    current = flow.current
    summary.flow_count += 1
    summary.corrected_count += int(len(flow.versions) > 1)
    summary.total_kg += current.quantity_kg
    summary.estimated_kg += current.quantity_kg if current.is_estimate else 0.0
    summary.kg_by_category[current.category.value] += current.quantity_kg
    summary.kg_by_stage[current.stage.value] += current.quantity_kg
