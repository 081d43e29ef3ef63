"""A batch of source records applied at once: each record read and applied to the ledger in
memory, in order; then every touched key written once, and what to publish gathered: each
touched cell's totals, each changed month and the periods to rescore, with the last event
that touched each (its id names the publication, its time dates the score)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from scoring.adapters.records import Unreadable, UnreadableRecord
from scoring.domain.period_flows import PeriodFlows
from scoring.domain.periods import Period
from scoring.domain.totals import CellTotals
from scoring.handlers import Applied, Changes, FlowLedger, month_key
from scoring.score_updates import periods_of
from zw_shared.contracts.envelope import CloudEvent

log = logging.getLogger(__name__)

R = TypeVar("R")  # a source record (a faust event in the worker)


@dataclass(frozen=True)
class Touch:
    """The last event that changed something: ``seq`` orders the events of a batch."""

    event_id: str
    at: datetime
    seq: int


@dataclass
class Batch(Generic[R]):
    totals: dict[str, tuple[CellTotals, Touch]] = field(default_factory=dict)
    months: dict[str, tuple[PeriodFlows, Touch]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    dead: list[tuple[R, Unreadable, str]] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def periods(self) -> dict[tuple[str, Period], Touch]:
        """Every (cell, period) a changed month is in, with the last event that touched it."""
        touched: dict[tuple[str, Period], Touch] = {}
        for flows, touch in self.months.values():
            for period in periods_of(flows.period):
                key = (flows.cell_id, period)
                if key not in touched or touched[key].seq < touch.seq:
                    touched[key] = touch
        return touched


def apply_batch(
    ledger: FlowLedger, records: Iterable[R], apply: Callable[[R], tuple[CloudEvent, Applied]]
) -> Batch[R]:
    """Applies ``records`` in order; a record that cannot be read or applied is set aside
    (``dead``) with its reason, and the batch goes on. Touches no broker: the caller
    publishes what the batch gathered."""
    batch: Batch[R] = Batch()
    ledger.begin()
    try:
        for seq, record in enumerate(records):
            try:
                envelope, applied = apply(record)
            except UnreadableRecord as exc:
                batch.dead.append((record, exc.reason, exc.detail))
                continue
            except Exception as exc:  # the worker must not stop on one record
                log.exception("failed to apply a record")
                batch.dead.append((record, Unreadable.PROCESSING_ERROR, repr(exc)))
                continue
            _gather(batch, envelope, applied, seq)
    finally:
        batch.changes = ledger.flush()
    return batch


def _gather(batch: Batch[R], envelope: CloudEvent, applied: Applied, seq: int) -> None:
    batch.outcomes[applied.outcome.value] += 1
    touch = Touch(envelope.id, envelope.time, seq)
    # A duplicate republishes the totals too: harmless on a compacted topic, and it repairs
    # a publication lost when a worker died between its table write and its send.
    batch.totals.pop(applied.totals.cell_id, None)  # keep the dict in order of last touch
    batch.totals[applied.totals.cell_id] = (applied.totals, touch)
    for month in applied.months:
        key = month_key(month.cell_id, month.period)
        batch.months.pop(key, None)
        batch.months[key] = (month, touch)
