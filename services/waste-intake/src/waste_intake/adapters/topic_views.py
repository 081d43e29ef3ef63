"""Keeps this process's in-memory views (registry, ledger) current from their topics.

At start-up it reads every partition of the topics from the beginning (no consumer group:
each API instance holds the whole view), then follows them. ``caught_up`` turns true once
it has read up to the end offsets it found at start: until then the API is not ready, so a
restarted API never mistakes a repeat for a new event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from waste_intake import metrics
from waste_intake.domain.ledger import Location
from zw_shared.contracts.envelope import CloudEvent

log = logging.getLogger(__name__)

RecordSink = Callable[[CloudEvent, Location], None]
Skip = Callable[[Location], bool]


class TopicViews:
    def __init__(
        self,
        bootstrap_servers: str,
        sinks: dict[str, RecordSink],
        client_id: str,
        already_applied: Skip = lambda _: False,
        fetch: tuple[int, int] = (1, 500),
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._sinks = sinks
        self._already_applied = already_applied
        self._fetch_min_bytes, self._fetch_max_wait_ms = fetch
        self._client_id = client_id
        self._task: asyncio.Task[None] | None = None
        self._ends: dict[TopicPartition, int] | None = None
        self.caught_up = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="topic-views")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._follow()
            except (KafkaError, OSError) as exc:
                log.warning("cannot read the view topics (%s); retrying in %.1fs", exc, delay)
            except Exception:
                log.exception("the view reader failed; restarting it in %.1fs", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            *self._sinks,
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_min_bytes=self._fetch_min_bytes,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batches.values():
                    for record in records:
                        self._apply(record)
                if not self.caught_up:
                    await self._check_caught_up(consumer)
        finally:
            await consumer.stop()

    async def _check_caught_up(self, consumer: AIOKafkaConsumer) -> None:
        assigned = consumer.assignment()
        if not assigned or {tp.topic for tp in assigned} != set(self._sinks):
            return
        if self._ends is None:
            self._ends = await consumer.end_offsets(list(assigned))
        for tp, end in self._ends.items():
            if await consumer.position(tp) < end:
                return
        log.info("views caught up with %s", sorted(self._sinks))
        self.caught_up = True

    def _apply(self, record: ConsumerRecord[bytes, bytes]) -> None:
        location = Location(record.topic, record.partition, record.offset)
        if self._already_applied(location):
            return
        try:
            envelope = CloudEvent.from_bytes(record.value or b"")
            self._sinks[record.topic](envelope, location)
        except Exception as exc:  # whatever cannot be read must not stop the view
            # The worker dead-letters what cannot be read; the view only skips it.
            metrics.UNREADABLE.labels(record.topic).inc()
            log.warning("skipping unreadable record %s: %r", location, exc)
