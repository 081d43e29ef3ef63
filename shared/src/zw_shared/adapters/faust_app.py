"""A faust App whose workers read only committed records, and commit past the offsets that
transactions leave without records.

Our writers publish in Kafka transactions (``TransactionalPublisher``); a write the API
refused with 503 may sit in the log inside an aborted transaction. faust switches its
consumer to ``read_committed`` only under ``processing_guarantee="exactly_once"``, which would
also make every agent's output transactional. This App keeps faust's processing as it is
and changes just the isolation level of the worker's consumer.

It also makes faust's offset bookkeeping safe for a worker restarted mid-stream: faust
throws away what it fetches for the partitions it pauses while it restores its tables and
then seeks them back to their committed offsets, but left a partition the group never
committed where the fetcher had got to (every record before was skipped for good); and
records fetched before a seek could still reach the streams after it, so that the offsets
between were taken for a gap and committed past. Seeks of stream partitions are made and
counted in the consumer's thread, and records fetched before the last one are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any
from weakref import WeakSet

import faust
from aiokafka.consumer.fetcher import OffsetResetStrategy
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, TransportT

from zw_shared import task_dump

log = logging.getLogger(__name__)
# Commits in a row that find the same offsets missing at the head of a partition's acked
# offsets, with nothing below them in flight, before the partition is read again.
HEAD_STALLS_BEFORE_REWIND = 3
# An assigned partition this many offsets past its committed one (commit markers at its end
# take offsets too), with nothing read over this many checks, is read again.
UNREAD_MARGIN = 2
UNREAD_CHECKS_BEFORE_REWIND = 3
UNREAD_CHECK_INTERVAL_S = 5.0


class _Fetched(list[Any]):
    """The records of one partition one fetch returned, stamped with the partition's seek
    count when they were taken from the fetcher: iterating them stops at the first seek
    since, because the records after it were fetched from the position the seek left
    (the fetcher reads them again from the new one)."""

    def __init__(self, records: list[Any], tp: TP, seeks: dict[TP, int]) -> None:
        super().__init__(records)
        self._tp = TP(tp.topic, tp.partition)
        self._seeks, self._stamp = seeks, seeks.get(self._tp, 0)

    def __iter__(self) -> Iterator[Any]:
        seeks, tp, stamp = self._seeks, self._tp, self._stamp
        for record in super().__iter__():
            if seeks.get(tp, 0) != stamp:
                log.debug("%s: records from before a seek dropped, from offset %d", tp,
                          record.offset)  # fmt: skip
                return
            yield record


class _ReadCommittedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """faust's consumer thread, reading committed records only, whose seeks of the stream
    partitions are counted in the thread as they are made, so that records fetched before a
    seek are never handed to the streams after it (see :class:`_Fetched`)."""

    seeks: dict[TP, int]

    def _seek_counts(self) -> dict[TP, int]:
        try:
            return self.seeks
        except AttributeError:
            self.seeks = {}
            return self.seeks

    async def _fetch_records(
        self, consumer: Any, active_partitions: Any, timeout: float | None = None,  # noqa: ASYNC109 (faust's signature)
        max_records: int | None = None,
    ) -> Any:  # fmt: skip
        records = await super()._fetch_records(
            consumer, active_partitions, timeout=timeout, max_records=max_records
        )
        seeks = self._seek_counts()  # stamped in the same step the fetcher gave them out
        return {tp: _Fetched(batch, tp, seeks) for tp, batch in records.items()}

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await self.call_thread(self._seek_to_committed)
        return committed

    async def _seek_to_committed(self) -> dict[TP, int | None]:
        """aiokafka's ``seek_to_committed``, with two differences: a partition committed at
        0 is seeked too, and a stream partition the group never committed is read from its
        beginning (the reset policy faust's apps here set), not left where the fetcher got
        to. faust throws away what it fetches for partitions it has paused while it
        restores its tables, trusting this seek to read them again."""
        consumer = self._ensure_consumer()
        committed: dict[TP, int | None] = {}
        never: list[Any] = []
        for tp in consumer._subscription.assigned_partitions():
            offset = await consumer.committed(tp)
            committed[tp] = offset
            if offset is not None:
                self._seek(consumer, tp, offset)
            elif self._reads_from_beginning(tp):
                never.append(tp)
        if never:
            await self._seek_to_beginning(consumer, never)
        return committed

    async def seek_counted(self, positions: Mapping[TP, int | None]) -> None:
        """Seeks stream partitions (None: to the beginning) in the consumer's thread."""
        await self.call_thread(self._seek_all, dict(positions))

    async def _seek_all(self, positions: dict[TP, int | None]) -> None:
        consumer = self._ensure_consumer()
        for tp, offset in positions.items():
            if offset is not None:
                self._seek(consumer, tp, offset)
        beginning = [tp for tp, offset in positions.items() if offset is None]
        if beginning:
            await self._seek_to_beginning(consumer, beginning)

    def _seek(self, consumer: Any, tp: Any, offset: int) -> None:
        consumer._fetcher.seek_to(tp, offset)
        self._count(tp)

    async def _seek_to_beginning(self, consumer: Any, tps: list[Any]) -> None:
        reset = consumer._fetcher.request_offset_reset(tps, OffsetResetStrategy.EARLIEST)
        for tp in tps:
            self._count(tp)
        await reset

    def _count(self, tp: Any) -> None:
        seeks = self._seek_counts()
        key = TP(tp.topic, tp.partition)
        seeks[key] = seeks.get(key, 0) + 1

    def _reads_from_beginning(self, tp: Any) -> bool:
        app: Any = self.app
        earliest = app.conf.consumer_auto_offset_reset == "earliest"
        return earliest and bool(app.topics.acks_enabled_for(tp.topic))

    def _create_worker_consumer(self, transport: Any) -> Any:
        # faust's one switch for read_committed is the consumer's in_transaction flag, read
        # while the consumer is built; set it for exactly that call and no other.
        consumer = self.consumer
        was = consumer.in_transaction
        consumer.in_transaction = True
        try:
            return super()._create_worker_consumer(transport)
        finally:
            consumer.in_transaction = was


class _TakenMessages(WeakSet[Any]):
    """faust's set of the messages streams took and have not acked yet, remembering the
    offsets taken per partition (until they are committed past)."""

    def __init__(self) -> None:
        super().__init__()
        self.taken: defaultdict[TP, set[int]] = defaultdict(set)

    def add(self, item: Any) -> None:
        super().add(item)
        self.taken[item.tp].add(item.offset)


class _ReadCommittedConsumer(faust_aiokafka.Consumer):
    _zw_stalls: dict[TP, tuple[tuple[int, int], int]]
    _zw_unread: dict[TP, tuple[int, int]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unacked_messages = _TakenMessages()

    def _new_consumer_thread(self) -> _ReadCommittedConsumerThread:
        return _ReadCommittedConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # Every transaction leaves a commit marker, an offset no consumer is given. faust
        # records the offsets skipped before a record as a gap to commit past, but its gap
        # ends *at* the record (``offset_to`` is the record's offset), and the record is acked
        # as well: the offset is then counted twice, the run of consecutive offsets that
        # faust commits up to breaks at the duplicate, and each commit advances one
        # transaction only. Under a stream of transactions the committed offsets fall behind
        # without bound (robinhood/faust#625). The gap is the skipped offsets only.
        # Nor is any offset a stream was given: after a seek back (a rebalance, a rewind) the
        # first record read may lie past records read before it, which are no gap; counted
        # twice they would break the run faust commits up to as the marker did.
        start = offset_from
        for offset in self._delivered_in(tp, offset_from, offset_to):
            if start < offset:
                await super()._add_gap(tp, start, offset - 1)
            start = offset + 1
        if start < offset_to:
            await super()._add_gap(tp, start, offset_to - 1)

    def _delivered_in(self, tp: TP, start: int, end: int) -> list[int]:
        """The offsets in [start, end) that a stream was given (acked, or taken)."""
        acked, taken = self._acked_index.get(tp) or set(), self._taken().get(tp) or set()
        if end - start <= 64:  # the common case: a commit marker or two
            return [o for o in range(start, end) if o in acked or o in taken]
        return sorted({o for o in (*acked, *taken) if start <= o < end})

    def _new_offset(self, tp: TP) -> int | None:
        # faust takes one offset missing at the head for a commit marker and commits past
        # it: not when it is a record a stream took and never acked
        offset = None if self._taken_at_head(tp) else super()._new_offset(tp)
        if offset is None:
            self._watch_head(tp)
        else:
            self._head_stalls().pop(tp, None)
            taken = self._taken().get(tp)
            if taken:
                taken.difference_update([o for o in taken if o < offset])
        return offset

    def _taken(self) -> dict[TP, set[int]]:
        unacked = self._unacked_messages
        return unacked.taken if isinstance(unacked, _TakenMessages) else {}

    def _taken_at_head(self, tp: TP) -> bool:
        """Whether the committed offset is a record a stream took, and no gap: the acked
        offsets start one past it."""
        acked, committed = self._acked.get(tp), self._committed_offset.get(tp)
        if not acked or committed is None or min(acked) != committed + 1:
            return False
        gap = self._gap.get(tp)
        noted = gap is not None and bool(gap.overlaps(committed))
        return committed in self._taken().get(tp, ()) and not noted

    def _head_stalls(self) -> dict[TP, tuple[tuple[int, int], int]]:
        """Per partition: the missing head offsets last seen, and in how many commits."""
        try:
            return self._zw_stalls
        except AttributeError:
            self._zw_stalls = {}
            return self._zw_stalls

    def _filter_tps_with_pending_acks(self, topics: Any = None) -> Iterator[TP]:
        # Also the partitions read past their committed offset with nothing acked: a record
        # taken and dropped before any ack leaves no trace among the acked offsets.
        pending = list(super()._filter_tps_with_pending_acks(topics))
        for tp in [tp for tp in list(self._read_offset) if tp not in pending]:
            wanted = topics is None or tp in topics or tp.topic in topics
            if wanted and self._read_past_committed(tp) is not None:
                pending.append(tp)
        return iter(pending)

    def _read_past_committed(self, tp: TP) -> tuple[int, int] | None:
        """(committed, last read) of a partition whose agents take acks, read past its
        committed offset; None otherwise."""
        read, committed = self._read_offset.get(tp), self._committed_offset.get(tp)
        if read is None or committed is None or read <= committed:
            return None
        return (committed, read) if self.app.topics.acks_enabled_for(tp.topic) else None

    def _watch_head(self, tp: TP) -> None:
        """faust commits nothing more on a partition whose acked offsets start more than one
        past its committed offset, and waits for the missing ones forever. They are either a
        record that was taken but never acked, or offsets skipped before the first record
        read that faust did not note as a gap. When the same offsets stay missing over
        several commits and no record below them is being processed, the partition is read
        again from its committed offset: the records are processed again (every worker is
        idempotent, as after a restart) and the missing offsets are acked or noted as gaps."""
        acked, committed = self._acked.get(tp), self._committed_offset.get(tp)
        stalls = self._head_stalls()
        if acked and committed is not None and min(acked) - committed > 1:
            head = (committed, min(acked))
        elif committed is not None and self._taken_at_head(tp):
            head = (committed, committed + 1)
        elif not acked and (read := self._read_past_committed(tp)) is not None:
            head = (read[0], read[1] + 1)  # records read, none acked
        else:
            stalls.pop(tp, None)
            return
        seen, count = stalls.get(tp, (head, 0))
        count = count + 1 if seen == head else 1
        stalls[tp] = (head, count)
        in_flight = any(m.tp == tp and m.offset < head[1] for m in list(self._unacked_messages))
        if count < HEAD_STALLS_BEFORE_REWIND or in_flight:
            return
        app: Any = self.app
        log.warning(
            "%s: offsets %d..%d never acked over %d commits; reading it again from %d "
            "(flow control active: %s, consumer flow active: %s, paused: %s, generation %s)",
            tp, head[0], head[1] - 1, count, head[0], app.flow_control.is_active(),
            self.flow_active, tp in self._paused_partitions, app.consumer_generation_id,
        )  # fmt: skip
        stalls.pop(tp, None)
        if not app.rebalancing:  # out of a rebalance nothing may stay suspended
            self._resume_all_of(tp)
        self._rewind(tp, head[0])

    def _rewind(self, tp: TP, offset: int) -> None:
        """Seeks ``tp`` back to ``offset`` soon (the seek is made in the consumer's thread)."""
        task = asyncio.ensure_future(self.seek_stream({tp: offset}))
        rewinds = self._rewinds()
        rewinds.add(task)
        task.add_done_callback(rewinds.discard)

    def _rewinds(self) -> set[asyncio.Future[None]]:
        try:
            return self._zw_rewinds
        except AttributeError:
            self._zw_rewinds: set[asyncio.Future[None]] = set()
            return self._zw_rewinds

    async def seek_stream(self, positions: Mapping[TP, int | None]) -> None:
        """Seeks stream partitions (None: to their beginning) and reads on from there: the
        records fetched before the seek are not handed to the streams."""
        thread: Any = self._thread
        await thread.seek_counted(positions)
        for tp, offset in positions.items():
            self._read_offset[tp] = offset

    async def check_unread(self) -> None:
        """For a timer: an assigned partition with records past its committed offset that
        nothing has read over :data:`UNREAD_CHECKS_BEFORE_REWIND` checks is resumed and read
        again from its committed offset (a restarted worker was seen to read nothing for
        minutes after its recovery, with no error)."""
        app: Any = self.app
        if app.rebalancing:
            return
        tps = [
            tp for tp in self.assignment()
            if app.topics.acks_enabled_for(tp.topic) and tp not in self._paused_partitions
        ]  # fmt: skip
        if not tps:
            return
        ends = await self.highwaters(*tps)
        stalls = self._unread_stalls()
        for tp in tps:
            # no committed offset: the group never committed it (faust reads it from the
            # start, as the reset policy says)
            committed, end = self._committed_offset.get(tp), ends.get(tp)
            start = 0 if committed is None else committed
            read = self._read_offset.get(tp)
            nothing_read = read is None or read <= start
            if end is None or end - start <= UNREAD_MARGIN or not nothing_read:
                stalls.pop(tp, None)
                continue
            seen, count = stalls.get(tp, (start, 0))
            count = count + 1 if seen == start else 1
            stalls[tp] = (start, count)
            if count >= UNREAD_CHECKS_BEFORE_REWIND:
                active = self._active_partitions
                log.warning(
                    "%s: offsets up to %d past the committed %s, none read over %d checks; "
                    "reading it again (flow control active: %s, consumer flow active: %s, "
                    "fetched: %s)",
                    tp, end, committed, count, app.flow_control.is_active(), self.flow_active,
                    active is None or tp in active,
                )  # fmt: skip
                stalls.pop(tp, None)
                self._resume_all_of(tp)
                self.resume_partitions({tp})  # back among the partitions faust fetches
                await self.seek_stream({tp: committed})

    def _unread_stalls(self) -> dict[TP, tuple[int, int]]:
        try:
            return self._zw_unread
        except AttributeError:
            self._zw_unread = {}
            return self._zw_unread

    def _resume_all_of(self, tp: TP) -> None:
        app: Any = self.app
        if not app.flow_control.is_active():
            app.flow_control.resume()
        if not self.flow_active:
            self.resume_flow()
        if tp in self._paused_partitions:
            self.resume_partitions({tp})


class _ReadCommittedTransport(faust_aiokafka.Transport):
    Consumer = _ReadCommittedConsumer


class ReadCommittedApp(faust.App):
    def _new_transport(self) -> TransportT:
        return _ReadCommittedTransport(self.conf.broker_consumer, self)


def watch_unread(app: faust.App, interval_s: float = UNREAD_CHECK_INTERVAL_S) -> None:
    """Adds the timer that checks the worker's partitions for records nothing reads (see
    ``_ReadCommittedConsumer.check_unread``)."""

    async def check_unread() -> None:
        consumer = app.consumer
        if isinstance(consumer, _ReadCommittedConsumer):
            try:
                await consumer.check_unread()
            except Exception:  # a check must never stop the worker
                log.exception("could not check the partitions for unread records")

    app.timer(interval_s, name="zw-check-unread")(check_unread)
    task_dump.REPORTERS.append(lambda: offsets_report(app))


def offsets_report(app: faust.App) -> list[str]:
    """Per assigned partition that takes acks: committed, last read, acked, taken and in
    flight, whether faust fetches it (for ``zw_shared.task_dump``)."""
    consumer: Any = app.consumer
    active = consumer._active_partitions
    in_flight: dict[TP, int] = defaultdict(int)
    for message in list(consumer._unacked_messages):
        in_flight[message.tp] += 1
    taken = consumer._unacked_messages.taken if hasattr(consumer._unacked_messages, "taken") else {}
    lines = [f"rebalancing {app.rebalancing}, flow control {app.flow_control.is_active()}, "
             f"consumer flow {consumer.flow_active}"]  # fmt: skip
    for tp in sorted(consumer.assignment()):
        if not app.topics.acks_enabled_for(tp.topic):
            continue
        acked = consumer._acked.get(tp) or []
        lines.append(
            f"{tp.topic}/{tp.partition}: committed {consumer._committed_offset.get(tp)} "
            f"read {consumer._read_offset.get(tp)} acked {len(acked)} "
            f"(min {min(acked) if acked else None}) taken {len(taken.get(tp, ()))} "
            f"in flight {in_flight[tp]} fetched {active is None or tp in active} "
            f"paused {tp in consumer._paused_partitions} highwater {consumer.highwater(tp)}"
        )
    return lines
