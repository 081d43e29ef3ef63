"""Publishes cells' scores (month, quarter, year) to the compacted scores topic, in the
background, off the path that counts events.

Counting marks what it changed as due: every period a changed month is in, with the last
event that touched it (its id names the publication, its local day dates the score). A
background task (:meth:`ScorePublisher.run`) scores each due (cell, period) once, however
many events changed it since, merged from the cell's months in the worker's table, and
publishes it. While the worker is counting, the task takes at most ``SCORE_BUSY_SHARE`` of
the worker's time: counting comes first, and what the API serves (it scores on read from the
published months) does not wait for this topic.

A score that was due when a worker stopped is not lost: after every rebalance (so after a
start, a crash or a move of partitions) the worker marks every cell of the partitions it
gained due, as of that moment (those it kept are due as they were). A cell whose
registration arrives or changes is marked due too (a cell registered after its first flows
is scored at once, not at its next event)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import ProducerClosed
from faust.exceptions import NotReady

from scoring.adapters import metrics
from scoring.adapters.compacted_view import Latest
from scoring.adapters.envelopes import envelope_bytes
from scoring.batches import Batch
from scoring.decoded_states import DecodedStates
from scoring.domain.cells import CellProfile
from scoring.domain.indicators.scoring import CellScore
from scoring.domain.indicators.system import IndicatorSystem
from scoring.domain.period_flows import PeriodFlows
from scoring.domain.periods import Period
from scoring.handlers import Stores, month_key
from scoring.score_updates import periods_of, profile_of, score_data, score_key, score_of
from scoring.settings import ScoringSettings
from zw_shared.contracts.scoring import CellScoreUpdated
from zw_shared.contracts.waste import CellRegistered

log = logging.getLogger(__name__)

RETRY_S = 1.0  # after a round that could not be published
# scores due for cells the registry did not know when they were taken, kept to be marked
# again once the registry has been read (the oldest forgotten past this many)
MAX_WAITING = 100_000

# records (key, value) -> once queued for sending: the broker's acknowledgements
Send = Callable[[list[tuple[bytes, bytes]]], Awaitable[list[Awaitable[Any]]]]


@dataclass(frozen=True)
class Due:
    """Why a score is due: the last event that changed it (or a registration, a start)."""

    event_id: str
    at: datetime


class ScorePublisher:
    def __init__(
        self,
        settings: ScoringSettings,
        system: IndicatorSystem,
        cells: Latest[CellRegistered],
        stores: Stores,
        decoded_months: DecodedStates[PeriodFlows] | None = None,
    ) -> None:
        """``decoded_months``: the counting path's decoded months (its ledger's), so that a
        month it just wrote is not decoded again to be scored."""
        self._settings = settings
        self._system = system
        self._cells = cells
        self._stores = stores
        if decoded_months is None:  # (an empty one is falsy: it has a length)
            decoded_months = DecodedStates(PeriodFlows.from_state, 0)
        self._decoded = decoded_months
        self._due: dict[tuple[str, Period], Due] = {}
        self._waiting: dict[tuple[str, Period], Due] = {}  # see MAX_WAITING
        self._wake = asyncio.Event()
        self.last_counted = 0.0  # monotonic time of the counting path's last batch

    @property
    def due(self) -> int:
        return len(self._due)

    def mark_batch(self, batch: Batch[Any]) -> None:
        """Every period a month of the batch changed in is due, as of its last event."""
        for flows, _touch in batch.months.values():
            if self._cells.get(flows.cell_id) is None:
                metrics.UNREGISTERED_CELL_CHANGES.inc()
        for (cell_id, period), touch in batch.periods().items():
            self._mark(cell_id, period, Due(touch.event_id, touch.at))
        self.last_counted = time.monotonic()
        self._changed()

    def mark_month(self, month: PeriodFlows, event_id: str, at: datetime) -> None:
        if self._cells.get(month.cell_id) is None:
            metrics.UNREGISTERED_CELL_CHANGES.inc()
        for period in periods_of(month.period):
            self._mark(month.cell_id, period, Due(event_id, at))
        self._changed()

    def mark_cell(self, cell_id: str, reason: str) -> None:
        """Every period the cell has data in is due, as of now (none unless the cell is in
        the worker's partitions: the index holds only those)."""
        now = datetime.now(UTC)
        due = Due(f"{reason}/{cell_id}/{now.isoformat()}", now)
        for key in self._stores.index.get(cell_id) or ():
            for period in periods_of(Period.parse(key)):
                self._mark(cell_id, period, due)
        self._changed()

    def mark_all(self, reason: str, which: Callable[[str], bool] = lambda cell_id: True) -> None:
        """Every cell of the index (after a rebalance: the worker's partitions') that
        ``which`` picks."""
        cells = [cell_id for cell_id in self._stores.index if which(cell_id)]
        for cell_id in cells:
            self.mark_cell(cell_id, reason)
        log.info("%d cells' scores due after %s", len(cells), reason)

    def keep_only(self, owns: Callable[[str], bool]) -> int:
        """Forgets the due scores of the cells the worker no longer holds (after a
        rebalance): their months went with their partitions, and a score made without them
        would overwrite the new owner's on the compacted topic. Returns how many it forgot."""
        gone = [key for key in self._due if not owns(key[0])]
        for key in gone:
            del self._due[key]
        metrics.SCORES_DUE.set(len(self._due))
        return len(gone)

    def mark_waiting(self) -> int:
        """Marks due again, as they were, the scores taken while their cell was not in the
        registry, for the cells that are now and that the worker still holds (the index
        has only its partitions' cells); returns how many. Called once the registry has
        been read: counting may come first, and a score of a cell the registry has not
        read yet cannot be made."""
        waiting, self._waiting = self._waiting, {}
        marked = 0
        for (cell_id, period), due in waiting.items():
            if (cell_id, period) in self._due:  # marked again since, by a later change
                continue
            if self._cells.get(cell_id) is None:
                self._waiting[(cell_id, period)] = due  # still unknown
            elif cell_id in self._stores.index:
                self._due[(cell_id, period)] = due
                marked += 1
        self._changed()
        return marked

    def _mark(self, cell_id: str, period: Period, due: Due) -> None:
        self._due.pop((cell_id, period), None)  # oldest first: a re-marked one goes last
        self._due[(cell_id, period)] = due

    def _changed(self) -> None:
        metrics.SCORES_DUE.set(len(self._due))
        if self._due:
            self._wake.set()

    async def run(self, send: Send) -> None:
        """Runs as a worker task: publishes the due scores, round after round. A round that
        fails (the producer stopping or not started yet, the broker away) is due again."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._due:
                began = time.monotonic()
                try:
                    await self._publish_round(send)
                except (NotReady, ProducerClosed):  # not started yet, or the worker stopping
                    await asyncio.sleep(RETRY_S)
                except Exception:  # one bad round must not stop the task
                    log.exception("could not publish a round of scores; retrying")
                    await asyncio.sleep(RETRY_S)
                await self._yield(time.monotonic() - began)

    async def _yield(self, spent_s: float) -> None:
        """Leaves the counting path its share of the worker's time while it is busy."""
        share = self._settings.score_busy_share
        busy = time.monotonic() - self.last_counted < 1.0
        await asyncio.sleep(spent_s * (1 - share) / share if busy and share < 1 else 0)

    async def _publish_round(self, send: Send) -> None:
        taken = self.take_due(self._settings.score_round_max)
        try:
            records = self.records(taken)
            await asyncio.gather(*await send(records))  # acknowledged by the broker
        except BaseException:
            for key, due in taken:  # unless marked again meanwhile, by a later event
                self._due.setdefault(key, due)
            raise
        finally:
            metrics.SCORES_DUE.set(len(self._due))
        metrics.SCORES_PUBLISHED.inc(len(records))

    def take_due(self, limit: int) -> list[tuple[tuple[str, Period], Due]]:
        """Up to ``limit`` due scores, the longest due first; no longer due."""
        taken = []
        for item in self._due.items():
            taken.append(item)
            if len(taken) >= limit:
                break
        for key, _ in taken:
            del self._due[key]
        return taken

    def records(self, due: Iterable[tuple[tuple[str, Period], Due]]) -> list[tuple[bytes, bytes]]:
        """The (key, value) records of the due scores; a cell not registered has none."""
        profiles: dict[str, CellProfile | None] = {}
        months: dict[str, PeriodFlows | None] = {}
        records = []
        for (cell_id, period), why in due:
            if cell_id not in profiles:
                cell = self._cells.get(cell_id)
                profiles[cell_id] = profile_of(cell, self._system) if cell else None
            profile = profiles[cell_id]
            if profile is None:
                self._wait(cell_id, period, why)
                continue
            as_of = why.at.astimezone(self._settings.zone).date()
            score = score_of(self._system, profile, period, self._month_of(months), as_of)
            records.append(self._record(score, why))
        return records

    def _wait(self, cell_id: str, period: Period, why: Due) -> None:
        self._waiting.pop((cell_id, period), None)
        self._waiting[(cell_id, period)] = why
        while len(self._waiting) > MAX_WAITING:
            del self._waiting[next(iter(self._waiting))]

    def _month_of(
        self, decoded: dict[str, PeriodFlows | None]
    ) -> Callable[[str, Period], PeriodFlows | None]:
        def month_of(cell_id: str, month: Period) -> PeriodFlows | None:
            key = month_key(cell_id, month)
            if key not in decoded:
                decoded[key] = self._decoded.get(self._stores.months, key)
            return decoded[key]

        return month_of

    def _record(self, score: CellScore, why: Due) -> tuple[bytes, bytes]:
        as_of = why.at.astimezone(self._settings.zone).date()
        value = envelope_bytes(
            CellScoreUpdated,
            score_data(score, as_of),
            event_id=f"{why.event_id}/{score.period}",
            source=self._settings.event_source,
            time=why.at,
            subject=score.cell_id,
        )
        return score_key(score).encode(), value
