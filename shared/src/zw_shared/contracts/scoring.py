"""Contracts of scoring: the latest score of a cell, published to a compacted topic."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from zw_shared.contracts.registry import EventPayload, register


class CellTotalsUpdated(EventPayload):
    """The running totals of one zero-waste cell after an event was counted.
    Keyed by ``cell_id`` on a compacted topic: the latest record is the cell's state."""

    event_type: ClassVar[str] = "scoring.cell-totals.updated"
    version: ClassVar[int] = 1

    cell_id: str
    total_kg: float = Field(ge=0)
    kg_by_category: dict[str, float]
    kg_by_stage: dict[str, float]
    event_count: int = Field(ge=0)
    last_event_at: AwareDatetime | None = None


register(CellTotalsUpdated)
