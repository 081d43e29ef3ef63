"""Running totals of a zero-waste cell: every counted waste flow adds its mass to the cell's
total, to its category and to its stage. Pure: no I/O, no clocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from scoring.domain.counted_flow import CountedFlow
from scoring.domain.members import value_of

KG_DECIMALS = 9  # float noise below a microgram is dropped, so that add-then-remove is exact


@dataclass(frozen=True)
class CellTotals:
    cell_id: str
    total_kg: float = 0.0
    kg_by_category: dict[str, float] = field(default_factory=dict)
    kg_by_stage: dict[str, float] = field(default_factory=dict)
    event_count: int = 0
    last_event_at: datetime | None = None

    def counting(self, flow: CountedFlow, sign: int = 1) -> CellTotals:
        """The totals after ``flow`` is counted (``sign=-1``: taken back out). The caller
        makes sure each event is counted once."""
        kg = sign * flow.kg
        return CellTotals(
            cell_id=self.cell_id,
            total_kg=round(self.total_kg + kg, KG_DECIMALS),
            kg_by_category=_add(self.kg_by_category, value_of(flow.category), kg),
            kg_by_stage=_add(self.kg_by_stage, value_of(flow.stage), kg),
            event_count=self.event_count + sign,
            last_event_at=_latest(self.last_event_at, flow.occurred_at),
        )

    def removing(self, flow: CountedFlow) -> CellTotals:
        """The totals without a flow counted before (``last_event_at`` stays: it is the
        latest occurrence ever counted)."""
        return self.counting(flow, sign=-1)

    # Formatted once for the table state and the publication (cached_property writes the
    # instance's __dict__, which equality and the frozen dataclass's fields ignore).
    @cached_property
    def last_event_iso(self) -> str | None:
        """``last_event_at`` in ISO 8601, as states and publications carry it."""
        return self.last_event_at.isoformat() if self.last_event_at else None

    def to_state(self) -> dict[str, Any]:
        """A JSON-safe dict, as kept in the worker's table."""
        return {
            "cell_id": self.cell_id,
            "total_kg": self.total_kg,
            "kg_by_category": dict(self.kg_by_category),
            "kg_by_stage": dict(self.kg_by_stage),
            "event_count": self.event_count,
            "last_event_at": self.last_event_iso,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CellTotals:
        last = state.get("last_event_at")
        return cls(
            cell_id=state["cell_id"],
            total_kg=float(state["total_kg"]),
            kg_by_category={k: float(v) for k, v in state["kg_by_category"].items()},
            kg_by_stage={k: float(v) for k, v in state["kg_by_stage"].items()},
            event_count=int(state["event_count"]),
            last_event_at=datetime.fromisoformat(last) if last else None,
        )


def _add(amounts: dict[str, float], key: str, kg: float) -> dict[str, float]:
    added = dict(amounts)
    total = round(added.get(key, 0.0) + kg, KG_DECIMALS)
    if total:
        added[key] = total
    else:
        added.pop(key, None)
    return added


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current
