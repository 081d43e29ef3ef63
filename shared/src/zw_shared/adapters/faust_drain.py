"""Hands fetched records to faust's streams without four asyncio tasks per record.

faust's consumer delivers each record with ``wait_first(callback(record),
suspend_flow.wait())``: a delivery that blocks (a stream's buffer is full) must give way
when the flow is suspended for a rebalance. That call makes four tasks (the delivery, the
suspension, the consumer stopping, the consumer crashing) and an ``asyncio.wait`` for every
record, about a third of faust's own cost per record. Nearly every delivery finishes
without blocking. :class:`FastDrain` runs the delivery in the draining task itself up to
its first suspension; one that completes there costs no task, and one that suspends is
finished as faust would: in a task raced against the suspension of the flow (which then
cancels it, as faust cancels its own). Otherwise the loop is faust's ``_drain_messages``
(faust 0.15.3): same offsets, gaps, periodic commits and yields to the event loop.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine, Generator
from typing import Any, cast

from faust.transport.consumer import CONSUMER_FETCHING

YIELD_EVERY = 100  # records handed on between two yields to the event loop, as faust does


class FastDrain:
    """Mixin for a faust ``Consumer`` subclass (placed before it)."""

    async def _deliver(self, delivery: Coroutine[Any, Any, Any]) -> None:
        try:
            blocked_on = delivery.send(None)
        except StopIteration:
            return  # delivered without waiting
        rest = _finish(delivery, blocked_on)
        consumer: Any = self
        await consumer.wait_first(rest, consumer.suspend_flow.wait())

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - faust's loop
        consumer: Any = self
        callback, getmany = consumer.callback, consumer.getmany
        consumer_stopped, fetcher_stopped = consumer._stopped.is_set, fetcher._stopped.is_set
        read_offsets = consumer._read_offset
        acks_enabled_for = consumer.app.topics.acks_enabled_for
        set_flag, unset_flag = consumer.diag.set_flag, consumer.diag.unset_flag
        commit_every = consumer._commit_every
        since_yield = 0
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                set_flag(CONSUMER_FETCHING)
                records = getmany(timeout=1.0)
                await consumer.sleep(0)  # getmany may not give the loop a turn otherwise
                if not consumer.should_stop:
                    async for tp, message in records:
                        since_yield += 1
                        if since_yield > YIELD_EVERY:
                            await asyncio.sleep(0)
                            since_yield = 0
                        offset, read = message.offset, read_offsets[tp]  # a defaultdict
                        if read is not None and offset < read:
                            continue  # faust drops a record behind what it has read
                        if read and offset - read > 1 and acks_enabled_for(message.topic):
                            await consumer._add_gap(tp, read + 1, offset)
                        if commit_every is not None and consumer._n_acked >= commit_every:
                            consumer._n_acked = 0
                            await consumer.commit()
                        await self._deliver(callback(message))
                        read_offsets[tp] = offset
                    unset_flag(CONSUMER_FETCHING)
        except consumer.consumer_stopped_errors:
            if consumer.transport.app.should_stop:
                consumer.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if consumer.transport.app.should_stop:
                consumer.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            consumer.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            unset_flag(CONSUMER_FETCHING)


async def _finish(delivery: Coroutine[Any, Any, Any], blocked_on: Any) -> Any:
    """The rest of a delivery that suspended on ``blocked_on``, as an awaitable for a task."""
    return await _resumed(delivery, blocked_on)


@types.coroutine
def _resumed(delivery: Coroutine[Any, Any, Any], blocked_on: Any) -> Generator[Any, Any, Any]:
    """Drives ``delivery`` on from where it suspended: what it waits on goes to the task
    running this, and what the task sends or throws back goes to the delivery (what
    ``await`` does for a coroutine not yet started)."""
    waiting = blocked_on
    while True:
        try:
            sent = yield waiting
        except GeneratorExit:
            delivery.close()
            raise
        except BaseException as exc:  # a cancellation, or the future's exception
            try:
                waiting = delivery.throw(exc)
            except StopIteration as done:
                return done.value
        else:
            try:
                waiting = delivery.send(sent)
            except StopIteration as done:
                return cast(Any, done.value)
