"""The worker's table store: it knows its changelog offsets, so a rebalance does not make the
worker read again the partitions it kept, and it knows the partition of every key, so it can
drop exactly the partitions it no longer holds.

faust's memory store knows no offset: at every rebalance (a worker joining, leaving, dying)
each worker read every changelog partition it held from the start, and counted nothing
meanwhile. With this store a worker reads only the partitions it gains (from the start:
faust's recovery reads them to the end it measured first), and drops those it gives away,
keys and offsets.

The workers keep no standby copies (``table_standby_replicas`` 0, in
:mod:`scoring.entrypoints.worker_app`). With faust's memory store they were never used: a
worker taking a partition over read it from the start anyway. A copy whose offsets were
trusted at a takeover would first have to be proven complete when it is promoted, which
this store does not do (faust's active recovery, which a takeover now does, reads to the
end it measured first). Without them each worker holds only its own partitions.

A key's partition is the changelog partition of its last record: recovered records carry
it, the worker's batch writes name it (:meth:`PlacedOffsetsStore.put`), and faust's own
writes go to the partition of the event being processed. The offsets of the worker's own
writes come from the broker's acknowledgements of their record batches
(:meth:`ChangelogOffsets.acked`)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import faust
from faust.streams import current_event
from faust.types import TP

from scoring.adapters import metrics
from zw_shared.adapters.faust_offsets import OffsetsMemoryStore, new_store

log = logging.getLogger(__name__)


class PlacedOffsetsStore(OffsetsMemoryStore):
    restored_total = metrics.TABLE_RECORDS_RESTORED

    def __post_init__(self) -> None:
        super().__post_init__()
        self._unplaced = 0  # keys written with no partition known: cannot drop by partition
        self._fresh: set[int] = set()  # partitions read from the log since take_fresh

    def take_fresh(self) -> set[int]:
        """The active partitions read from their changelog (not kept from before) since the
        last call: their data comes from another worker, or from a worker that stopped."""
        fresh, self._fresh = self._fresh, set()
        return fresh

    def put(self, key: str, value: Any, partition: int) -> None:
        """A write of the worker's own, whose changelog record goes to ``partition``."""
        self.data[key] = value
        self._key_partition[key] = partition

    def remove(self, key: str) -> None:
        self.data.pop(key, None)
        self._key_partition.pop(key, None)

    def __setitem__(self, key: str, value: Any) -> None:
        # faust's Table writes here once it has sent the changelog record, to the partition
        # of the event being processed
        self.data[key] = value
        event = current_event()
        if event is None:
            self._unplaced += 1
        else:
            self._key_partition[key] = event.message.partition

    def __delitem__(self, key: str) -> None:
        self.remove(key)

    def advance(self, tp: TP, offset: int) -> None:
        super().advance(tp, offset)
        metrics.TABLE_OFFSET.labels(self.table.name, str(tp.partition)).set(self._offsets[tp])

    def forget(self, partitions: Iterable[int] | None = None) -> None:
        held = {tp.partition for tp in self._offsets}
        super().forget(partitions)
        for partition in held - {tp.partition for tp in self._offsets}:
            with contextlib.suppress(KeyError):  # never set
                metrics.TABLE_OFFSET.remove(self.table.name, str(partition))

    def keep(self, active: set[int], standby: set[int]) -> None:
        dropped = self.partitions_to_drop(active, standby)
        kept = set() if dropped and self._unplaced else (self._active & active) - dropped
        self._fresh = (self._fresh | (active - kept)) & active
        if dropped and self._unplaced:
            log.warning(
                "%s: %d keys written with no known partition; reading every partition afresh",
                self.table.name, self._unplaced,
            )  # fmt: skip
            self._unplaced = 0
            self.drop_all()
        elif dropped:
            self.drop_partitions(dropped)


class PlacedOffsetsTable(faust.Table[str, Any]):
    """A faust table kept in a :class:`PlacedOffsetsStore` (the app's store is memory)."""

    def _new_store_by_url(self, url: Any) -> Any:
        return new_store(PlacedOffsetsStore, self, url)


def offsets_table(app: faust.App, name: str) -> Any:
    """A table of JSON values by string key, in a :class:`PlacedOffsetsStore`."""
    table = PlacedOffsetsTable(app, name=name, default=None, key_type=str, beacon=app.tables.beacon)
    return app.tables.add(table)


class ChangelogOffsets:
    """Records the offsets of the changelog records the worker sent itself (in record
    batches, past faust's producer buffer, whose acknowledgements faust never sees)."""

    def __init__(self, tables: list[Any]) -> None:
        self._stores = {table.changelog_topic.get_topic_name(): table.data for table in tables}

    def acked(self, topic: str, partition: int, last_offset: int) -> None:
        store = self._stores.get(topic)
        if store is not None:
            store.set_persisted_offset(TP(topic, partition), last_offset)
