"""The workers' faust consumer commits past the offsets transactions leave without records,
and reads a partition again when offsets at its head stay unacked.

The consumer is built without a broker: these are its offset bookkeeping methods, driven the
way faust's fetch loop drives them (a gap noted for the offsets skipped between two records
read, an ack per record processed)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any
from weakref import WeakSet

import pytest
from faust.types import TP

from zw_shared.adapters import faust_app
from zw_shared.adapters.faust_app import (
    HEAD_STALLS_BEFORE_REWIND,
    UNREAD_CHECKS_BEFORE_REWIND,
    UNREAD_MARGIN,
    _ReadCommittedConsumer,
)

pytestmark = pytest.mark.unit

PARTITION = TP("waste.flow-events.v1", 0)


class _Thread:
    """Records the seeks (-1: to the beginning) the consumer makes in its thread."""

    def __init__(self) -> None:
        self.seeks: list[tuple[TP, int]] = []

    async def seek_counted(self, positions: dict[TP, int | None]) -> None:
        self.seeks += [(tp, -1 if offset is None else offset) for tp, offset in positions.items()]


async def _seeks_made(consumer: Any) -> list[tuple[TP, int]]:
    """The seeks made once the rewinds the consumer scheduled have run."""
    await asyncio.gather(*consumer._rewinds())
    return consumer._thread.seeks


class _Topics:
    def acks_enabled_for(self, topic: str) -> bool:
        return not topic.endswith("-changelog")


class _FlowControl:
    def __init__(self, active: bool = True) -> None:
        self.active = active

    def is_active(self) -> bool:
        return self.active

    def resume(self) -> None:
        self.active = True


class _App:
    def __init__(self) -> None:
        self.topics, self.flow_control = _Topics(), _FlowControl()
        self.consumer_generation_id, self.rebalancing = 1, False


class _Message:
    def __init__(self, tp: TP, offset: int) -> None:
        self.tp, self.offset = tp, offset


def _consumer(committed: int | None = None) -> Any:
    consumer: Any = object.__new__(_ReadCommittedConsumer)
    consumer._acked = defaultdict(list)
    consumer._acked_index = defaultdict(set)
    consumer._gap = defaultdict(faust_app._Gaps)
    consumer._committed_offset = defaultdict(lambda: None)
    consumer._read_offset = defaultdict(lambda: None)
    consumer._unacked_messages = WeakSet()  # faust's: the messages taken, not yet acked
    consumer._thread = _Thread()
    consumer._thread.reads = faust_app._Reads(consumer._gap)
    consumer._paused_partitions = set()
    consumer._active_partitions = None  # faust: every assigned partition
    consumer.app, consumer.flow_active = _App(), True
    if committed is not None:
        consumer._committed_offset[PARTITION] = committed
        consumer._read_offset[PARTITION] = committed
    return consumer


async def _read_and_ack(consumer: Any, offsets: list[int]) -> None:
    """What the fetcher (one fetch, given out back to back), faust's fetch loop and the
    agent do for records read at ``offsets``."""
    reads, fetch = consumer._thread.reads, object()
    for offset in offsets:
        reads.handed_on(PARTITION, reads.seeks.get(PARTITION, 0), offset, fetch)
        last = consumer._read_offset[PARTITION]
        if last and offset - last > 1:
            await consumer._add_gap(PARTITION, last + 1, offset)
        consumer._read_offset[PARTITION] = offset
        _ack(consumer, [offset])
    reads.finished(PARTITION, fetch)


def _ack(consumer: Any, offsets: list[int]) -> None:
    """Records acked with nothing noted about the offsets before them (once each, as
    faust's ``Consumer.ack``)."""
    for offset in offsets:
        if offset not in consumer._acked_index[PARTITION]:
            consumer._acked_index[PARTITION].add(offset)
            consumer._acked[PARTITION].append(offset)


async def test_one_commit_passes_every_transaction_marker_among_the_acked_records() -> None:
    consumer = _consumer(committed=10)
    # one record per transaction: a commit marker after each
    await _read_and_ack(consumer, [10, 12, 14, 16, 18])

    assert consumer._new_offset(PARTITION) == 19


async def test_an_aborted_transaction_between_records_is_committed_past() -> None:
    consumer = _consumer(committed=10)
    await _read_and_ack(consumer, [10, 11, 17, 18])  # 12..16: aborted records and markers

    assert consumer._new_offset(PARTITION) == 19


async def test_offsets_missing_at_the_head_make_the_partition_read_again() -> None:
    consumer = _consumer(committed=89)
    _ack(consumer, [91, 92, 93])  # 89 and 90 were never acked nor noted as a gap
    consumer._read_offset[PARTITION] = 93

    for _ in range(HEAD_STALLS_BEFORE_REWIND - 1):
        assert consumer._new_offset(PARTITION) is None
    assert await _seeks_made(consumer) == []
    assert consumer._new_offset(PARTITION) is None

    assert await _seeks_made(consumer) == [(PARTITION, 89)]
    assert consumer._read_offset[PARTITION] == 89


async def test_a_record_still_in_flight_below_the_head_is_waited_for() -> None:
    consumer = _consumer(committed=89)
    _ack(consumer, [91, 92])
    in_flight = _Message(PARTITION, 90)
    consumer._unacked_messages.add(in_flight)

    for _ in range(HEAD_STALLS_BEFORE_REWIND + 2):
        assert consumer._new_offset(PARTITION) is None

    assert await _seeks_made(consumer) == []


async def test_the_stall_count_starts_again_when_the_head_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(faust_app, "HEAD_STALLS_BEFORE_REWIND", 2)
    consumer = _consumer(committed=89)
    _ack(consumer, [92, 93])
    assert consumer._new_offset(PARTITION) is None
    consumer._committed_offset[PARTITION] = 90  # another route moved the committed offset

    assert consumer._new_offset(PARTITION) is None
    assert await _seeks_made(consumer) == []


async def test_records_read_and_dropped_before_any_ack_make_the_partition_read_again() -> None:
    consumer = _consumer(committed=64)
    consumer._read_offset[PARTITION] = 70  # taken up to 70, none acked, none in flight

    for _ in range(HEAD_STALLS_BEFORE_REWIND):
        assert PARTITION in set(consumer._filter_tps_with_pending_acks())
        assert consumer._new_offset(PARTITION) is None

    assert await _seeks_made(consumer) == [(PARTITION, 64)]


def test_a_partition_just_seeked_to_its_committed_offset_is_not_a_stall() -> None:
    consumer = _consumer(committed=64)  # faust sets the read offset to the committed one
    changelog = TP("scoring-cell-totals-changelog", 0)
    consumer._committed_offset[changelog], consumer._read_offset[changelog] = 3, 90

    assert set(consumer._filter_tps_with_pending_acks()) == set()


async def test_a_rewind_out_of_a_rebalance_resumes_a_flow_left_suspended() -> None:
    consumer = _consumer(committed=64)
    consumer._read_offset[PARTITION] = 70
    consumer.app.flow_control.active = False  # records taken were skipped by the streams
    resumed: list[set[TP]] = []
    consumer.resume_partitions = resumed.append
    consumer._paused_partitions = {PARTITION}

    for _ in range(HEAD_STALLS_BEFORE_REWIND):
        consumer._new_offset(PARTITION)

    assert consumer.app.flow_control.is_active()
    assert resumed == [{PARTITION}]
    assert await _seeks_made(consumer) == [(PARTITION, 64)]


async def test_a_record_taken_and_never_acked_one_past_the_commit_is_not_committed_past() -> None:
    consumer = _consumer(committed=64)
    taken = _Message(PARTITION, 64)
    consumer._unacked_messages.add(taken)
    del taken  # dropped without an ack: gone from faust's weak set of unacked messages
    _ack(consumer, [65, 66])

    for _ in range(HEAD_STALLS_BEFORE_REWIND):
        assert consumer._new_offset(PARTITION) is None

    assert await _seeks_made(consumer) == [(PARTITION, 64)]


async def test_a_commit_marker_at_the_committed_offset_is_committed_past() -> None:
    consumer = _consumer(committed=64)  # 64: the marker of the transaction before
    consumer._thread.reads.seeked(PARTITION, 64)  # the worker reads on from its commit
    await _read_and_ack(consumer, [65, 66])

    assert consumer._new_offset(PARTITION) == 67


def _assigned(consumer: Any, end: int) -> None:
    async def highwaters(*tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, end)

    consumer.assignment = lambda: {PARTITION}
    consumer.highwaters = highwaters


async def test_a_partition_with_records_nothing_reads_is_read_again() -> None:
    consumer = _consumer(committed=64)  # after the seek to the committed offset: nothing read
    _assigned(consumer, end=80)
    consumer._active_partitions = set()  # faust left it out of the partitions it fetches

    for _ in range(UNREAD_CHECKS_BEFORE_REWIND - 1):
        await consumer.check_unread()
    assert await _seeks_made(consumer) == []
    await consumer.check_unread()

    assert await _seeks_made(consumer) == [(PARTITION, 64)]
    assert consumer._active_partitions == {PARTITION}


async def test_commit_markers_past_the_committed_offset_are_nothing_to_read() -> None:
    consumer = _consumer(committed=64)
    _assigned(consumer, end=64 + UNREAD_MARGIN)

    for _ in range(UNREAD_CHECKS_BEFORE_REWIND + 1):
        await consumer.check_unread()

    assert await _seeks_made(consumer) == []


async def test_a_partition_never_committed_and_never_read_is_read_from_the_start() -> None:
    consumer = _consumer()  # the group never committed it; faust read nothing of it
    _assigned(consumer, end=40)

    for _ in range(UNREAD_CHECKS_BEFORE_REWIND):
        await consumer.check_unread()

    assert await _seeks_made(consumer) == [(PARTITION, -1)]


async def test_records_read_again_after_a_seek_back_are_counted_once_in_one_commit() -> None:
    consumer = _consumer(committed=10)
    await _read_and_ack(consumer, [10, 12, 14, 16, 18, 20])
    consumer._thread.reads.seeked(PARTITION, 10)  # a seek back to the committed offset
    consumer._read_offset[PARTITION] = 10
    await _read_and_ack(consumer, [10, 12, 14, 16, 18, 20, 22])

    assert consumer._new_offset(PARTITION) == 23


async def test_offsets_before_a_record_not_fetched_back_to_back_are_no_gap() -> None:
    consumer = _consumer(committed=1)
    reads = consumer._thread.reads
    reads.seeked(PARTITION, 1)
    fetch = object()
    for offset in (2, 4, 6, 8):
        reads.handed_on(PARTITION, 1, offset, fetch)
    _ack(consumer, [2, 4, 6])
    # faust threw away the rest of that fetch (8 and on, a rebalance) and set its read
    # offset back to the committed one; the next fetch starts past them
    consumer._read_offset[PARTITION] = 1
    reads.handed_on(PARTITION, 1, 130, object())
    await consumer._add_gap(PARTITION, 2, 130)
    _ack(consumer, [130])

    assert consumer._new_offset(PARTITION) == 8  # past the marker after 6, not past 8
    consumer._committed_offset[PARTITION] = 8
    for _ in range(HEAD_STALLS_BEFORE_REWIND):
        assert consumer._new_offset(PARTITION) is None
    assert await _seeks_made(consumer) == [(PARTITION, 8)]  # read again from there


class _Record:
    def __init__(self, offset: int) -> None:
        self.offset = offset


def test_records_fetched_before_a_seek_of_their_partition_are_not_handed_on() -> None:
    reads = faust_app._Reads(defaultdict(faust_app._Gaps))
    fetched = faust_app._Fetched([_Record(o) for o in (40, 42, 44, 46)], PARTITION, reads)
    other = faust_app._Fetched([_Record(7)], TP("waste.flow-events.v1", 1), reads)
    records = iter(fetched)

    assert next(records).offset == 40
    reads.seeked(PARTITION, 12)  # a seek of the partition, made while the records waited

    assert [r.offset for r in records] == []
    assert [r.offset for r in other] == [7]  # other partitions' records are still current


class _Fetcher:
    def __init__(self) -> None:
        self.moves: list[tuple[TP, int]] = []

    def seek_to(self, tp: TP, offset: int) -> None:
        self.moves.append((tp, offset))

    def request_offset_reset(self, tps: list[TP], strategy: int) -> Any:
        self.moves += [(tp, -1) for tp in tps]
        return asyncio.sleep(0)


class _AIOKafkaConsumer:
    def __init__(self, committed: dict[TP, int | None]) -> None:
        self._committed = committed
        self._fetcher = _Fetcher()
        self._subscription = self

    def assigned_partitions(self) -> set[TP]:
        return set(self._committed)

    async def committed(self, tp: TP) -> int | None:
        return self._committed[tp]


async def test_stream_partitions_never_committed_are_read_again_from_their_beginning() -> None:
    changelog = TP("scoring-cell-totals-changelog", 0)
    never, at_zero, at_twelve = (TP("waste.flow-events.v1", p) for p in (0, 1, 2))
    aiokafka = _AIOKafkaConsumer({never: None, at_zero: 0, at_twelve: 12, changelog: None})
    thread: Any = object.__new__(faust_app._ReadCommittedConsumerThread)
    thread._ensure_consumer = lambda: aiokafka
    thread.consumer = type("Consumer", (), {"_gap": defaultdict(faust_app._Gaps)})()
    thread.app = _App()
    thread.app.conf = type("Conf", (), {"consumer_auto_offset_reset": "earliest"})()

    committed = await thread._seek_to_committed()

    # what faust threw away while it restored its tables is read again, from the beginning
    # where the group never committed (the fetcher had got past it)
    assert sorted(aiokafka._fetcher.moves) == sorted([(at_zero, 0), (at_twelve, 12), (never, -1)])
    assert committed == {never: None, at_zero: 0, at_twelve: 12, changelog: None}
    assert thread.reads.seeks == {never: 1, at_zero: 1, at_twelve: 1}


def test_gaps_are_kept_merged_and_chopped_as_faust_reads_them() -> None:
    gaps = faust_app._Gaps()
    for begin, end in [(13, 14), (11, 12), (20, 25), (11, 14), (22, 23)]:
        gaps.addi(begin, end)  # overlapping spans: faust would count those offsets twice

    assert sorted((iv.begin, iv.end) for iv in gaps) == [(11, 14), (20, 25)]
    assert gaps.overlaps(12)
    assert not gaps.overlaps(15)

    gaps.chop(0, 22)  # what a commit up to 22 leaves

    assert sorted((iv.begin, iv.end) for iv in gaps) == [(22, 25)]
    gaps.addi(30, 31)
    assert len(gaps) == 2


async def test_offsets_acked_twice_or_behind_the_commit_do_not_hold_it_up() -> None:
    consumer = _consumer(committed=70)
    await _read_and_ack(consumer, [70, 72])
    consumer._acked[PARTITION][:0] = [69, 70, 71]  # stale: behind it, acked again, a gap

    assert consumer._new_offset(PARTITION) == 73
