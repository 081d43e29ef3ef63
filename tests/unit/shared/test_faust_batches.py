"""RecordBatches: a topic's records taken from faust's consumer a fetch at a time.

Driven as the consumer's fetch loop drives it (an offer per record) and as the scoring
worker takes it; the app is the part of faust's it reads: its flow control (mode's own),
its consumer generation and its consumer's in-flight set and ack."""

from __future__ import annotations

import asyncio
from typing import Any
from weakref import WeakSet

import pytest
from faust.transport.consumer import ConsumerMessage
from faust.types import TP
from mode.utils.queues import FlowControlEvent

from zw_shared.adapters.faust_batches import RecordBatches

pytestmark = pytest.mark.unit

TOPIC = "waste.flow-events.v1"


class _Consumer:
    def __init__(self) -> None:
        self._unacked_messages: WeakSet[ConsumerMessage] = WeakSet()
        self.acked: list[int] = []

    def ack(self, message: ConsumerMessage) -> bool:
        message.acked = True
        self._unacked_messages.discard(message)
        self.acked.append(message.offset)
        return True


class _App:
    def __init__(self) -> None:
        self.flow_control = FlowControlEvent(initially_suspended=False)
        self.consumer_generation_id = 7
        self.consumer = _Consumer()


def a_message(offset: int, generation: int = 7, partition: int = 0) -> ConsumerMessage:
    return ConsumerMessage(
        TOPIC, partition, offset, 0.0, 0, [], b"cell-1", b"{}", None, 6, 2,
        TP(TOPIC, partition), generation_id=generation,
    )  # fmt: skip


def batches(
    app: _App, max_records: int = 3, within_s: float = 0.05, maxsize: int | None = None
) -> RecordBatches:
    return RecordBatches(app, {TOPIC}, max_records, within_s, maxsize)


async def test_a_full_batch_is_taken_at_once_and_its_records_are_in_flight_until_acked() -> None:
    app = _App()
    sink = batches(app, max_records=3, within_s=30, maxsize=10)
    kept = [a_message(n) for n in range(4)]
    for message in kept:
        assert sink.offer(message)

    taken = await asyncio.wait_for(sink.take(), 1)  # not the 30 s: the batch is full

    assert [m.offset for m in taken] == [0, 1, 2]
    assert set(app.consumer._unacked_messages) == set(taken)
    assert all(m.tracked for m in taken)
    assert not kept[3].tracked
    sink.ack(taken)
    assert (app.consumer.acked, len(app.consumer._unacked_messages)) == ([0, 1, 2], 0)
    assert len(sink) == 1  # the fourth waits for the next take


async def test_a_short_batch_waits_for_within_s_from_its_first_record() -> None:
    sink = batches(_App(), max_records=100, within_s=0.2)
    loop = asyncio.get_running_loop()
    sink.offer(a_message(0))
    began = loop.time()
    await asyncio.sleep(0.1)
    sink.offer(a_message(1))

    taken = await sink.take()

    waited = loop.time() - began
    assert [m.offset for m in taken] == [0, 1]
    assert 0.18 <= waited < 1.0, waited  # from the first record, not the last


async def test_what_is_left_of_a_fetch_is_due_at_once() -> None:
    sink = batches(_App(), max_records=2, within_s=0.3, maxsize=3)
    for offset in range(3):
        assert sink.offer(a_message(offset))
    assert [m.offset for m in await sink.take()] == [0, 1]
    await asyncio.sleep(0.3)

    taken = await asyncio.wait_for(sink.take(), 0.1)

    assert [m.offset for m in taken] == [2]


async def test_records_of_an_earlier_generation_are_neither_taken_nor_in_flight() -> None:
    app = _App()
    sink = batches(app, max_records=3, within_s=0.01)
    for message in (a_message(0, generation=6), a_message(1), a_message(2, generation=6)):
        sink.offer(message)

    taken = await sink.take()

    assert [m.offset for m in taken] == [1]
    assert list(app.consumer._unacked_messages) == taken


async def test_nothing_is_buffered_while_the_flow_is_suspended() -> None:
    app = _App()
    sink = batches(app)
    app.flow_control.suspend()

    assert sink.offer(a_message(0))  # taken off the consumer's hands, and dropped

    assert len(sink) == 0


async def test_faust_clearing_its_queues_on_a_rebalance_empties_the_buffer() -> None:
    app = _App()
    sink = batches(app, max_records=10, within_s=0.2)
    sink.offer(a_message(0))
    taking = asyncio.create_task(sink.take())
    await asyncio.sleep(0.05)

    app.flow_control.suspend()
    app.flow_control.clear()  # as faust does on a rebalance (and again when it resumes)
    app.flow_control.resume()
    await asyncio.sleep(0.3)
    assert not taking.done()  # what it was waiting for is gone: it waits again
    sink.offer(a_message(5))

    taken = await asyncio.wait_for(taking, 1)

    assert [m.offset for m in taken] == [5]
    assert list(app.consumer._unacked_messages) == taken


async def test_a_full_buffer_refuses_a_record_until_a_batch_is_taken() -> None:
    sink = batches(_App(), max_records=2, within_s=0.01)  # holds one batch by default
    assert sink.offer(a_message(0))
    assert sink.offer(a_message(1))

    refused = a_message(2)
    assert not sink.offer(refused)
    room = asyncio.create_task(sink.room())
    await asyncio.sleep(0.05)
    assert not room.done()

    await sink.take()

    await asyncio.wait_for(room, 1)
    assert sink.offer(refused)


async def test_a_batch_taken_after_the_flow_was_suspended_is_empty() -> None:
    app: Any = _App()
    sink = batches(app, max_records=3, within_s=0.1)
    sink.offer(a_message(0))
    taking = asyncio.create_task(sink.take())
    await asyncio.sleep(0.02)
    app.flow_control.suspend()  # faust clears its queues right after: here, not yet

    assert await taking == []
    assert len(app.consumer._unacked_messages) == 0
