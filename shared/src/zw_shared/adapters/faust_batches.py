"""A topic's records taken from faust's consumer a fetch at a time, not an event at a time.

faust hands every record it fetches to the streams one by one: for each, its consumer
races the hand-over against a suspension of the flow (``wait_first``: two tasks and an
``asyncio.wait``), its conductor decodes it into an event and queues it, and the stream takes
it out again, calls the sensors and sets the current event. In the scoring worker that was
about a third of the process's time (py-spy, 40,000 events over 10,000 cells): more than
applying the events. :class:`RecordBatches` is what the consumer
(``zw_shared.adapters.faust_app``) gives the records of the topics it serves instead, as
plain faust messages, without a task or an event each; the worker takes them in batches and
acknowledges each one once what it made of it is safe, so faust commits exactly as it does
for a stream: the consumer's offset bookkeeping (acked offsets, gaps, seeks) is unchanged.

What faust's streams do on a rebalance, this does too: nothing is buffered while the flow is
suspended, the buffer is emptied when faust clears its queues (``app.flow_control``), and a
batch leaves out the records fetched in an earlier generation of the group. A record taken
is tracked as in flight (faust's ``wait_empty`` waits for it before the partitions go); a
record buffered but never taken is not, and is read again from the committed offset.

The topic must still be one an agent subscribes to (its stream then stays empty): that is
how faust subscribes it, assigns its partitions and co-partitions the tables with it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from faust.types import Message


class RecordBatches:
    """The records of ``topics`` fetched and not yet taken, for one taker (see the module)."""

    def __init__(
        self,
        app: Any,
        topics: set[str],
        max_records: int,
        within_s: float,
        maxsize: int | None = None,
    ) -> None:
        self._app = app
        self.topics = frozenset(topics)
        self.max_records = max_records
        self.within_s = within_s
        # at most this many buffered (one batch by default: the next, while one is counted)
        self.maxsize = max(maxsize or 0, max_records)
        self._buffer: list[Message] = []
        self._first_at: float | None = None  # when the oldest buffered record came
        self._arrived = asyncio.Event()  # set while the buffer holds records
        self._room = asyncio.Event()  # set while the buffer has room
        self._room.set()
        self._managed = False  # cleared with faust's own queues, from the first offer on

    def offer(self, message: Message) -> bool:
        """Buffers a fetched record (the consumer's loop calls this for each); False when the
        buffer is full: the caller waits for :meth:`room` and offers it again. A record that
        comes while the flow is suspended is left out, as faust's conductor leaves it."""
        flow = self._app.flow_control
        if not self._managed:
            flow.manage_queue(self)
            self._managed = True
        if not flow.is_active():
            return True  # dropped, like a record faust fetched for a paused partition
        if len(self._buffer) >= self.maxsize:
            self._room.clear()
            return False
        if not self._buffer:
            self._first_at = time.monotonic()
        self._buffer.append(message)
        self._arrived.set()
        return True

    async def room(self) -> None:
        await self._room.wait()

    def clear(self) -> None:
        """Drops what is buffered (faust's flow control clears its queues on a rebalance):
        none of it was taken, so none of it is in flight or acked."""
        self._buffer.clear()
        self._first_at = None
        self._arrived.clear()
        self._room.set()

    def __len__(self) -> int:
        return len(self._buffer)

    async def take(self) -> list[Message]:
        """The next batch: waits for a record, then until ``max_records`` are buffered or
        ``within_s`` has passed since the oldest came. Returns at most ``max_records``, each
        tracked as in flight: the caller must :meth:`ack` every one (an empty list when all
        were of an earlier generation of the group)."""
        while True:
            await self._arrived.wait()
            first = self._first_at
            if first is None:  # cleared while we waited
                continue
            wait = self.within_s - (time.monotonic() - first)
            if len(self._buffer) < self.max_records and wait > 0:
                await asyncio.sleep(wait)
                if not self._buffer:
                    continue
            return self._track(self._cut())

    def _cut(self) -> list[Message]:
        taken = self._buffer[: self.max_records]
        del self._buffer[: self.max_records]
        if not self._buffer:  # else what is left is as old as it was: due at once
            self._first_at = None
            self._arrived.clear()
        self._room.set()
        return taken

    def _track(self, taken: list[Message]) -> list[Message]:
        app = self._app
        generation = app.consumer_generation_id
        if not app.flow_control.is_active():
            return []
        kept = [m for m in taken if m.generation_id == generation]
        in_flight = app.consumer._unacked_messages
        for message in kept:
            message.tracked = True
            in_flight.add(message)
        return kept

    def ack(self, messages: list[Message]) -> None:
        """Acknowledges taken records: faust may commit past them."""
        ack = self._app.consumer.ack
        for message in messages:
            ack(message)
