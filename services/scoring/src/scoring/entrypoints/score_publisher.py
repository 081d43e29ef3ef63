"""Publishes a cell's scores (month, quarter, year) to the compacted scores topic: after each
change of one of its months, from inside the agent; and, for every period it has data in,
when its registration arrives or changes while the worker runs (a cell registered after its
first flows is scored at once, not at its next event)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import faust

from scoring.adapters import metrics
from scoring.adapters.compacted_view import Latest
from scoring.domain.indicators.scoring import CellScore
from scoring.domain.indicators.system import IndicatorSystem
from scoring.domain.period_flows import PeriodFlows
from scoring.handlers import Stores
from scoring.score_updates import (
    profile_of,
    score_key,
    score_updated,
    scores_after_change,
    scores_of_cell,
)
from scoring.settings import ScoringSettings
from zw_shared.contracts.registry import wrap
from zw_shared.contracts.waste import CellRegistered

log = logging.getLogger(__name__)


class ScorePublisher:
    def __init__(
        self,
        topic: faust.TopicT,
        settings: ScoringSettings,
        system: IndicatorSystem,
        cells: Latest[CellRegistered],
        stores: Stores,
    ) -> None:
        self._topic = topic
        self._settings = settings
        self._system = system
        self._cells = cells
        self._stores = stores
        self.registrations: asyncio.Queue[str] = asyncio.Queue()

    async def after_change(self, month: PeriodFlows, event_id: str, at: datetime) -> None:
        cell = self._cells.get(month.cell_id)
        if cell is None:
            metrics.UNREGISTERED_CELL_CHANGES.inc()
            return
        as_of = at.astimezone(self._settings.zone).date()
        profile = profile_of(cell, self._system)
        months = self._stores.months
        for score in scores_after_change(self._system, profile, month.period, months, as_of):
            await self._send(score, event_id, at)

    async def rescore_registered(self) -> None:
        """Runs as a worker task: rescores each cell whose registration changed."""
        while True:
            cell_id = await self.registrations.get()
            try:
                await self._rescore(cell_id)
            except Exception:  # one cell must not stop the task
                log.exception("could not rescore cell %s", cell_id)

    async def _rescore(self, cell_id: str) -> None:
        cell = self._cells.get(cell_id)
        month_keys = self._stores.index.get(cell_id)  # None unless its partition is ours
        if cell is None or not month_keys:
            return
        now = datetime.now(UTC)
        as_of = now.astimezone(self._settings.zone).date()
        profile = profile_of(cell, self._system)
        scores = scores_of_cell(self._system, profile, month_keys, self._stores.months, as_of)
        for score in scores:
            await self._send(score, f"registration/{cell_id}/{now.isoformat()}", now)

    async def _send(self, score: CellScore, event_id: str, at: datetime) -> None:
        as_of = at.astimezone(self._settings.zone).date()
        update = wrap(
            score_updated(score, as_of),
            event_id=f"{event_id}/{score.period}",
            source=self._settings.event_source,
            time=at,
            subject=score.cell_id,
        )
        await self._topic.send(key=score_key(score).encode(), value=update.to_bytes())
