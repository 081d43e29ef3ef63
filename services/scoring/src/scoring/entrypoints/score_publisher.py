"""Publishes a cell's scores (month, quarter, year) to the compacted scores topic: once per
batch for every period a changed month is in (:meth:`ScorePublisher.of_batch`), or after one
change of a month (:meth:`ScorePublisher.after_change`); and, for every period it has data
in, when its registration arrives or changes while the worker runs (a cell registered after
its first flows is scored at once, not at its next event)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import faust

from scoring.adapters import metrics
from scoring.adapters.compacted_view import Latest
from scoring.adapters.envelopes import envelope_bytes
from scoring.batches import Batch, MonthOf
from scoring.domain.cells import CellProfile
from scoring.domain.indicators.scoring import CellScore
from scoring.domain.indicators.system import IndicatorSystem
from scoring.domain.period_flows import PeriodFlows
from scoring.handlers import Stores
from scoring.score_updates import (
    profile_of,
    score_data,
    score_key,
    score_of,
    scores_after_change,
    scores_of_cell,
)
from scoring.settings import ScoringSettings
from zw_shared.contracts.scoring import CellScoreUpdated
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

    @property
    def topic(self) -> faust.TopicT:
        return self._topic

    def of_batch(self, batch: Batch[Any], month_of: MonthOf) -> list[tuple[bytes, bytes]]:
        """The records (key, value) of the scores of every period a month of the batch
        changed in, each scored once, as of the last event of the batch that touched it."""
        for flows, _touch in batch.months.values():
            if self._cells.get(flows.cell_id) is None:
                metrics.UNREGISTERED_CELL_CHANGES.inc()
        records = []
        profiles: dict[str, CellProfile] = {}
        for (cell_id, period), touch in batch.periods().items():
            cell = self._cells.get(cell_id)
            if cell is None:
                continue
            profile = profiles.get(cell_id) or profiles.setdefault(
                cell_id, profile_of(cell, self._system)
            )
            as_of = touch.at.astimezone(self._settings.zone).date()
            score = score_of(self._system, profile, period, month_of, as_of)
            records.append(self._record(score, touch.event_id, touch.at))
        return records

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
        key, value = self._record(score, event_id, at)
        await self._topic.send(key=key, value=value)

    def _record(self, score: CellScore, event_id: str, at: datetime) -> tuple[bytes, bytes]:
        as_of = at.astimezone(self._settings.zone).date()
        value = envelope_bytes(
            CellScoreUpdated,
            score_data(score, as_of),
            event_id=f"{event_id}/{score.period}",
            source=self._settings.event_source,
            time=at,
            subject=score.cell_id,
        )
        return score_key(score).encode(), value
