"""Offsets of consumer groups and topics, as a read_committed consumer sees them: what the
lag exporter reports.

Lag is counted in records, not offsets. Every consumer here reads with
``isolation_level=read_committed``, so a partition's end is its last stable offset (LSO), and
a transactional producer leaves a commit marker after each transaction: the marker takes an
offset but is never delivered. A group that read everything therefore commits "last record
+ 1" (faust) or the LSO (aiokafka's position), and the offsets between a committed offset and
the LSO may hold markers as well as records. So when the gap is at most ``exact_limit``
offsets the records in it are read and counted (exact, markers and aborted records left
out); a larger gap is reported as the offset difference, which over-counts by one per
transaction committed in it (at most a few per mille with the group-commit publisher)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import IsolationLevel, KafkaConsumer, OffsetSpec, TopicPartition
from kafka.admin import KafkaAdminClient


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int
    stable_end: int
    lag: int  # records a read_committed consumer of the group has not read yet


def lag_from_gap(gap: int, counted: int | None) -> int:
    """The records behind: counted when they were read, else the offset gap."""
    if gap <= 0:
        return 0
    return counted if counted is not None else gap


class OffsetReader:
    """One admin client and two read_committed consumers (no group: they never commit)."""

    def __init__(
        self, bootstrap: str, client_id: str, exact_limit: int, read_timeout_s: float
    ) -> None:
        self.admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
        self.exact_limit = exact_limit
        self.read_timeout_s = read_timeout_s
        self._gap_reader = _consumer(bootstrap, f"{client_id}-gaps")
        self._counter = _consumer(bootstrap, f"{client_id}-counts")
        self._counted: dict[tuple[TopicPartition, int, int], int] = {}
        self._records: dict[TopicPartition, int] = {}

    def close(self) -> None:
        self._gap_reader.close()
        self._counter.close()
        self.admin.close()

    def groups(self) -> list[str]:
        return sorted(str(g["group_id"]) for g in self.admin.list_groups())

    def committed(self, groups: list[str]) -> dict[str, dict[TopicPartition, int]]:
        """Per group, its committed offsets (partitions it never committed are left out)."""
        if not groups:
            return {}
        answer: dict[str, dict[Any, Any]] = self.admin.list_group_offsets(groups)
        return {
            group: {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
            for group, offsets in answer.items()
        }

    def stable_ends(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        specs = {tp: OffsetSpec.LATEST for tp in partitions}
        if not specs:
            return {}
        found = self.admin.list_partition_offsets(
            specs, isolation_level=IsolationLevel.READ_COMMITTED
        )
        return {tp: int(answer.offset) for tp, answer in found.items()}

    def partitions_of(self, topics: Iterable[str]) -> list[TopicPartition]:
        described = self.admin.describe_topics(list(topics))
        return [
            TopicPartition(t["name"], p["partition_index"])
            for t in described
            if t["error_code"] == 0
            for p in t["partitions"]
        ]

    def lags(
        self, committed: dict[str, dict[TopicPartition, int]], ends: dict[TopicPartition, int]
    ) -> list[PartitionLag]:
        rows = [
            (group, tp, offset, ends[tp])
            for group, offsets in committed.items()
            for tp, offset in offsets.items()
            if tp in ends
        ]
        small = {(tp, c, e) for _, tp, c, e in rows if 0 < e - c <= self.exact_limit}
        self._count_gaps(small)
        return [
            PartitionLag(group, tp.topic, tp.partition, c, e,
                         lag_from_gap(e - c, self._counted.get((tp, c, e))))
            for group, tp, c, e in rows
        ]  # fmt: skip

    def _count_gaps(self, gaps: set[tuple[TopicPartition, int, int]]) -> None:
        """Reads the records of every gap not counted yet (a gap is counted once: the same
        committed offset and end always hold the same records)."""
        self._counted = {gap: n for gap, n in self._counted.items() if gap in gaps}
        todo = {gap for gap in gaps if gap not in self._counted}
        for tp in {tp for tp, _, _ in todo}:  # one consumer: one range per partition at a time
            for gap in sorted(g for g in todo if g[0] == tp):
                counted = _count_between(self._gap_reader, tp, gap[1], gap[2], self.read_timeout_s)
                if counted is not None:
                    self._counted[gap] = counted

    def records_in(self, topics: Iterable[str]) -> dict[str, int]:
        """Records a read_committed consumer has seen on each topic since this reader
        started reading it from its beginning (read on incrementally, call after call)."""
        ends = self.stable_ends(self.partitions_of(topics))
        new = [tp for tp in ends if tp not in self._records]
        if new:
            self._counter.assign(list(self._records) + new)
            for tp, offset in self._counter.beginning_offsets(new).items():
                self._counter.seek(tp, offset)
                self._records[tp] = 0
        for tp, n in _read_to(self._counter, ends, self.read_timeout_s, past_end=True).items():
            self._records[tp] += n
        totals: dict[str, int] = {}
        for tp, n in self._records.items():
            totals[tp.topic] = totals.get(tp.topic, 0) + n
        return totals


def _consumer(bootstrap: str, client_id: str) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )


def _count_between(
    consumer: KafkaConsumer, tp: TopicPartition, start: int, end: int, timeout_s: float
) -> int | None:
    """Records in [start, end) of one partition; None when they were not all read in time."""
    consumer.assign([tp])
    consumer.seek(tp, start)
    counted = _read_to(consumer, {tp: end}, timeout_s)
    return counted[tp] if consumer.position(tp) >= end else None


def _read_to(
    consumer: KafkaConsumer,
    ends: dict[TopicPartition, int],
    timeout_s: float,
    past_end: bool = False,
) -> dict[TopicPartition, int]:
    """Polls the assigned partitions until each position reaches its end (or the time is
    up); returns the records read before each end (``past_end``: every record read, as the
    position moved past them)."""
    counted = dict.fromkeys(ends, 0)
    deadline = time.monotonic() + timeout_s
    pending = {tp for tp, end in ends.items() if consumer.position(tp) < end}
    while pending and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=200).items():
            if tp in ends:
                counted[tp] += sum(1 for r in records if past_end or r.offset < ends[tp])
        pending = {tp for tp in pending if consumer.position(tp) < ends[tp]}
    return counted
