"""A faust table seen as a plain mapping, whose writes can name their changelog partition.

faust writes a table's changelog record to the partition of the event being processed (its
``current_event``), through its producer buffer, one record at a time. The worker applies a
batch of events and writes each touched key once after the batch, outside any one event: it
names the partition (that of the batch's events, which own the key, the tables being
co-partitioned with the source topics) with :class:`Partition`; such a write changes the
table at once and queues its changelog record, serialised as faust does, in
``Partition.pending``, which the worker sends with the batch's publications (faust recovers
the table from these records as from its own), and tells the table's store the key's
partition (:class:`scoring.adapters.offsets_store.PlacedOffsetsStore`). With no partition
named, a write goes through faust as usual."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

ChangelogRecord = tuple[str, int, bytes | None, bytes | None]  # topic, partition, key, value


class Partition:
    """The changelog partition the worker is writing for (None: faust's current event's),
    and the changelog records written for it that are still to be sent."""

    def __init__(self) -> None:
        self.current: int | None = None
        self.pending: list[ChangelogRecord] = []

    def take_pending(self) -> list[ChangelogRecord]:
        pending, self.pending = self.pending, []
        return pending


class TableStore(MutableMapping[str, Any]):
    def __init__(self, table: Any, partition: Partition) -> None:
        self._table = table
        self._partition = partition

    def __getitem__(self, key: str) -> Any:
        return self._table.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._table.data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._table.data

    def __setitem__(self, key: str, value: Any) -> None:
        partition = self._partition.current
        if partition is None:
            self._table[key] = value
            return
        self._queue(partition, key, value)
        self._table.data.put(key, value, partition)

    def __delitem__(self, key: str) -> None:
        partition = self._partition.current
        if partition is None:
            del self._table[key]
            return
        if key not in self._table.data:
            raise KeyError(key)
        self._queue(partition, key, None)
        self._table.data.remove(key)

    def _queue(self, partition: int, key: str, value: Any) -> None:
        table = self._table
        topic = table.changelog_topic
        raw_key, _ = topic.prepare_key(key, table.key_serializer)
        raw_value = None if value is None else topic.prepare_value(value, table.value_serializer)[0]
        self._partition.pending.append((topic.get_topic_name(), partition, raw_key, raw_value))

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.data)

    def __len__(self) -> int:
        return len(self._table.data)
