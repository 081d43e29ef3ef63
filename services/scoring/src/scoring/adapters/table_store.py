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

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from faust.utils import json as faust_json
from mode.utils.compat import want_bytes

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
        self._dumps_key, self._dumps_value = _serializers(table)

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
        topic = self._table.changelog_topic
        raw_value = None if value is None else self._dumps_value(value)
        self._partition.pending.append(
            (topic.get_topic_name(), partition, self._dumps_key(key), raw_value)
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.data)

    def __len__(self) -> int:
        return len(self._table.data)


Dumps = Callable[[Any], bytes | None]


def _serializers(table: Any) -> tuple[Dumps, Dumps]:
    """How ``table`` serialises a changelog key and value: faust's own JSON function where
    both are plain JSON (the same bytes, without faust's schema and codec layers, which cost
    more than the JSON), else faust's whole path."""
    topic = table.changelog_topic
    if (
        table.key_serializer == "json"
        and table.value_serializer == "json"
        and getattr(topic, "key_type", None) in (None, str)
        and getattr(topic, "value_type", None) is None
    ):
        return _json, _json
    key_serializer, value_serializer = table.key_serializer, table.value_serializer
    return (
        lambda key: topic.prepare_key(key, key_serializer)[0],
        lambda value: topic.prepare_value(value, value_serializer)[0],
    )


def _json(obj: Any) -> bytes:
    return want_bytes(faust_json.dumps(obj))
