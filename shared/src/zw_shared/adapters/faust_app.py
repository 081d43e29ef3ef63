"""A faust App whose workers read only committed records, and commit past the offsets that
transactions leave without records.

Our writers publish in Kafka transactions (``TransactionalPublisher``); a write the API
refused with 503 may sit in the log inside an aborted transaction. faust switches its
consumer to ``read_committed`` only under ``processing_guarantee="exactly_once"``, which would
also make every agent's output transactional. This App keeps faust's processing as it is
and changes just the isolation level of the worker's consumer.

It also makes faust's offset bookkeeping safe for a worker restarted mid-stream. faust
throws away what it fetches for the partitions it pauses while it restores its tables, then
seeks them back to their committed offsets, but left a partition the group never committed
where the fetcher had got to (every record before was skipped for good); records fetched
before a seek could reach the streams after it; and faust took any offsets between the
record it read last and the next for a "gap" to commit past, records it had thrown away
included. Here seeks of stream partitions are made and counted in the consumer's thread
(never committed: from the beginning), records fetched before the last seek are dropped,
and the gaps are noted from the fetcher's own sequence: only offsets it skipped between
two records it gave out back to back (see :class:`_Reads`). An offset at the head that is
neither acked nor such a gap holds up commits until the partition is read again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import faust
from aiokafka.consumer.fetcher import OffsetResetStrategy
from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, TransportT
from intervaltree import Interval, IntervalTree  # type: ignore[import-untyped]

from zw_shared import task_dump
from zw_shared.adapters.faust_batches import RecordBatches

log = logging.getLogger(__name__)
# Commits in a row that find the same offsets missing at the head of a partition's acked
# offsets, with nothing below them in flight, before the partition is read again.
HEAD_STALLS_BEFORE_REWIND = 3
# An assigned partition this many offsets past its committed one (commit markers at its end
# take offsets too), with nothing read over this many checks, is read again.
UNREAD_MARGIN = 2
UNREAD_CHECKS_BEFORE_REWIND = 3
UNREAD_CHECK_INTERVAL_S = 5.0


class _Reads:
    """What a stream partition's records tell of its log, as the fetcher gives them out.

    A read_committed fetch gives every committed record in order and skips only offsets
    that hold none for the consumer (commit markers, aborted records): the offsets between
    two records it gave back to back, or between the offset a seek started from and the
    first record after it, are gaps to commit past. Nothing else is: faust threw away
    records it had fetched (for paused partitions, in a rebalance) and set its read offset
    back after seeks, and took the offsets it had not seen for gaps, committing past
    records no stream was ever given.

    ``seeks`` counts the seeks made (in the consumer's thread) per partition; records
    fetched before the last seek are not handed on (see :class:`_Fetched`)."""

    def __init__(self, gaps: Any) -> None:
        self._gaps = gaps  # the consumer's gaps, per partition (a mapping of :class:`_Gaps`)
        self.seeks: dict[TP, int] = {}
        # tp -> (seek count, the offset after which the next record handed on follows back
        # to back; None: not known)
        self._last: dict[TP, tuple[int, int | None]] = {}
        self._open: dict[TP, object] = {}  # tp -> the fetch being handed on

    def seeked(self, tp: Any, offset: int | None) -> None:
        """Counts a seek to ``offset`` (None: to the beginning)."""
        key = TP(tp.topic, tp.partition)
        count = self.seeks.get(key, 0) + 1
        self.seeks[key] = count
        self._last[key] = (count, None if offset is None else offset - 1)
        self._open.pop(key, None)

    def handed_on(self, tp: TP, stamp: int, offset: int, fetch: object) -> None:
        opened = self._open.get(tp)
        if opened is not fetch:
            if opened is not None:  # the fetch before was not handed on to its end
                self._last.pop(tp, None)
            self._open[tp] = fetch
        last = self._last.get(tp)
        if last is not None and last[0] == stamp and last[1] is not None and offset > last[1] + 1:
            self._gaps[tp].addi(last[1] + 1, offset)
        self._last[tp] = (stamp, offset)

    def finished(self, tp: TP, fetch: object) -> None:
        if self._open.get(tp) is fetch:
            del self._open[tp]


class _Fetched(list[Any]):
    """The records of one partition one fetch returned, stamped with the partition's seek
    count when they were taken from the fetcher: iterating them stops at the first seek
    since, because the records after it were fetched from the position the seek left
    (the fetcher reads them again from the new one)."""

    def __init__(self, records: list[Any], tp: TP, reads: _Reads) -> None:
        super().__init__(records)
        self._tp = TP(tp.topic, tp.partition)
        self._reads, self._stamp = reads, reads.seeks.get(self._tp, 0)

    def __iter__(self) -> Iterator[Any]:
        reads, tp, stamp = self._reads, self._tp, self._stamp
        for record in super().__iter__():
            if reads.seeks.get(tp, 0) != stamp:
                log.info("%s: records fetched before a seek dropped, from offset %d", tp,
                         record.offset)  # fmt: skip
                return
            reads.handed_on(tp, stamp, record.offset, self)
            yield record
        reads.finished(tp, self)


class _Gaps(IntervalTree):  # type: ignore[misc]  # intervaltree is untyped
    """faust's gaps of one partition (the offsets to commit past that hold no record), added
    in constant time and built into the tree, overlaps merged, only when it is read (at a
    commit). faust rebuilt the whole tree after each gap: with a commit marker after every
    transaction, each record read cost milliseconds (2.4 ms with 500 gaps since the last
    commit, 17 ms with 2,800)."""

    def __init__(self, intervals: Any = None) -> None:
        self._pending: list[tuple[int, int]] = []
        super().__init__(intervals)

    def addi(self, begin: int, end: int, data: Any = None) -> None:
        self._pending.append((begin, end))

    def _settle(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        spans = sorted([(iv.begin, iv.end) for iv in super().__iter__()] + pending)
        merged: list[tuple[int, int]] = []
        for begin, end in spans:
            if merged and begin < merged[-1][1]:  # overlapping (faust would count it twice)
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((begin, end))
        super().__init__(Interval(begin, end) for begin, end in merged)

    def __len__(self) -> int:
        self._settle()
        return int(super().__len__())

    def __iter__(self) -> Iterator[Interval]:
        self._settle()
        return iter(super().__iter__())

    def overlap(self, begin: Any, end: Any = None) -> Any:
        self._settle()
        return super().overlap(begin, end)

    def overlaps(self, begin: Any, end: Any = None) -> bool:
        self._settle()
        return bool(super().overlaps(begin, end))

    def chop(self, begin: int, end: int, datafunc: Any = None) -> None:
        self._settle()
        if begin == 0 and datafunc is None:  # faust's commit: all up to the committed offset
            kept = [(max(iv.begin, end), iv.end) for iv in super().__iter__() if iv.end > end]
            super().__init__(Interval(b, e) for b, e in kept)
            return
        super().chop(begin, end, datafunc)

    def merge_overlaps(self, *args: Any, **kwargs: Any) -> None:
        self._settle()
        super().merge_overlaps(*args, **kwargs)


class _ReadCommittedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """faust's consumer thread, reading committed records only, whose seeks of the stream
    partitions are counted in the thread as they are made, so that records fetched before a
    seek are never handed to the streams after it (see :class:`_Fetched`)."""

    _zw_reads: _Reads

    @property
    def reads(self) -> _Reads:
        try:
            return self._zw_reads
        except AttributeError:
            self._zw_reads = _Reads(self.consumer._gap)
            return self._zw_reads

    async def _fetch_records(
        self, consumer: Any, active_partitions: Any, timeout: float | None = None,  # noqa: ASYNC109 (faust's signature)
        max_records: int | None = None,
    ) -> Any:  # fmt: skip
        records = await super()._fetch_records(
            consumer, active_partitions, timeout=timeout, max_records=max_records
        )
        reads = self.reads  # stamped in the same step the fetcher gave them out
        return {tp: _Fetched(batch, tp, reads) for tp, batch in records.items()}

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
        for tp in consumer._subscription.assigned_partitions():
            committed[tp] = await consumer.committed(tp)
        await self._seek_all(
            {
                tp: o
                for tp, o in committed.items()
                if o is not None or self._reads_from_beginning(tp)
            }
        )
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
        self.reads.seeked(tp, offset)

    async def _seek_to_beginning(self, consumer: Any, tps: list[Any]) -> None:
        reset = consumer._fetcher.request_offset_reset(tps, OffsetResetStrategy.EARLIEST)
        for tp in tps:
            self.reads.seeked(tp, None)
        await reset

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


class _ReadCommittedConsumer(faust_aiokafka.Consumer):
    _zw_stalls: dict[TP, tuple[tuple[int, int], int]]
    _zw_unread: dict[TP, tuple[int, int]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gap = defaultdict(_Gaps)

    def _new_consumer_thread(self) -> _ReadCommittedConsumerThread:
        return _ReadCommittedConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover  # the loop
        # faust's loop (faust.transport.consumer.Consumer._drain_messages, 0.15.3), with one
        # change: a record of a topic served in batches is offered to its RecordBatches
        # without a task or an event; every other record goes to faust's streams as before.
        # (faust's gap noting here is gone: _add_gap does nothing, see _Reads.)
        callback, getmany = self.callback, self.getmany
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        sinks: dict[str, RecordBatches] = getattr(self.app, "batch_sinks", {})
        commit_every = self._commit_every
        yield_every, since_yield = 100, 0
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(faust_consumer.CONSUMER_FETCHING)
                records = getmany(timeout=1.0)
                await self.sleep(0)
                if not self.should_stop:
                    async for tp, message in records:
                        since_yield += 1
                        if since_yield > yield_every:
                            await asyncio.sleep(0)
                            since_yield = 0
                        offset = message.offset
                        read = get_read_offset(tp)
                        if read is not None and offset < read:
                            continue  # read already (faust drops it too)
                        if commit_every is not None and self._n_acked >= commit_every:
                            self._n_acked = 0
                            await self.commit()
                        sink = sinks.get(tp.topic) if sinks else None
                        if sink is None:
                            await self.wait_first(callback(message), self.suspend_flow.wait())
                        else:
                            while not sink.offer(message) and not self.suspend_flow.is_set():
                                await self.wait_first(sink.room(), self.suspend_flow.wait())
                        set_read_offset(tp, offset)
                    self.diag.unset_flag(faust_consumer.CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(faust_consumer.CONSUMER_FETCHING)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # faust notes the offsets between the record it read last and the next as a gap to
        # commit past: not always offsets without records (see :class:`_Reads`, which notes
        # the gaps from what the fetcher gives out instead). Its gap also ended *at* the
        # next record, counting its offset twice, so that each commit advanced one
        # transaction only (robinhood/faust#625).
        return

    def _new_offset(self, tp: TP) -> int | None:
        committed, gaps, acked = (
            self._committed_offset.get(tp),
            self._gap.get(tp),
            self._acked.get(tp),
        )
        if committed is not None:
            # behind the commit, or twice (records read again after a seek back, and gap
            # offsets faust moved into the acked ones): either breaks its run of offsets
            if gaps:
                gaps.chop(0, committed)
            if acked:
                kept = {offset for offset in acked if offset >= committed}
                if gaps:  # faust adds the gaps to the acked offsets itself
                    top = max(kept, default=committed) + 1
                    kept.difference_update(
                        o for iv in gaps.overlap(committed, top) for o in range(iv.begin, iv.end)
                    )
                if len(kept) != len(acked):
                    acked[:] = sorted(kept)
        # faust takes one offset missing at the head for a commit marker and commits past
        # it: not unless it is a gap the fetcher skipped
        offset = None if self._head_unknown(tp) else super()._new_offset(tp)
        if offset is None:
            self._watch_head(tp)
        else:
            self._head_stalls().pop(tp, None)
        return offset

    def _head_unknown(self, tp: TP) -> bool:
        """Whether the committed offset is neither acked nor a gap, with records acked past
        it: it may be a record a stream never finished (or was never given)."""
        acked, committed = self._acked.get(tp), self._committed_offset.get(tp)
        if not acked or committed is None or committed in acked:
            return False
        gaps = self._gap.get(tp)
        return not (gaps is not None and gaps.overlaps(committed))

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
        """No commit passes a committed offset that is neither acked nor a gap the fetcher
        skipped (:meth:`_head_unknown`): a record taken but never acked, or one faust threw
        away; nor a partition read past its commit with nothing acked. When the same offsets
        stay so over several commits and no record below them is being processed, the
        partition is read again from its committed offset: the records are processed again
        (every worker is idempotent, as after a restart) and the missing offsets are acked
        or noted as gaps."""
        acked, committed = self._acked.get(tp), self._committed_offset.get(tp)
        stalls = self._head_stalls()
        if acked and committed is not None and self._head_unknown(tp):
            head = (committed, min(acked))
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
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # topic -> what takes its records a fetch at a time, instead of faust's streams
        self.batch_sinks: dict[str, RecordBatches] = {}

    def serve_in_batches(self, batches: RecordBatches) -> None:
        """Gives the records of ``batches.topics`` to ``batches`` instead of faust's streams
        (see :mod:`zw_shared.adapters.faust_batches`). Call it before the worker starts: a
        topic's records must not go to a stream and to ``batches`` in turn."""
        for topic in batches.topics:
            self.batch_sinks[topic] = batches

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
    """Per assigned partition that takes acks: committed, last read, acked and in flight,
    whether faust fetches it; per changelog partition: last read, whether faust fetches it
    (for ``zw_shared.task_dump``)."""
    consumer: Any = app.consumer
    active = consumer._active_partitions
    in_flight: dict[TP, int] = defaultdict(int)
    for message in list(consumer._unacked_messages):
        in_flight[message.tp] += 1
    lines = [f"rebalancing {app.rebalancing}, flow control {app.flow_control.is_active()}, "
             f"consumer flow {consumer.flow_active}"]  # fmt: skip
    for tp in sorted(consumer.assignment()):
        if not app.topics.acks_enabled_for(tp.topic):  # a table's changelog
            lines.append(
                f"{tp.topic}/{tp.partition}: read {consumer._read_offset.get(tp)} fetched "
                f"{active is None or tp in active} paused {tp in consumer._paused_partitions} "
                f"highwater {consumer.highwater(tp)}"
            )
            continue
        acked = consumer._acked.get(tp) or []
        lines.append(
            f"{tp.topic}/{tp.partition}: committed {consumer._committed_offset.get(tp)} "
            f"read {consumer._read_offset.get(tp)} acked {len(acked)} "
            f"(min {min(acked) if acked else None}) "
            f"in flight {in_flight[tp]} fetched {active is None or tp in active} "
            f"paused {tp in consumer._paused_partitions} highwater {consumer.highwater(tp)}"
        )
    return lines
