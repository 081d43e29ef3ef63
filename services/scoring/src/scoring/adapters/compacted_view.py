"""The scoring API's in-memory views of compacted topics (totals, month flows, cells).

An aiokafka consumer without a group: it assigns itself every partition, reads from the
beginning and keeps reading, and hands each record's key and payload to a store (the
latest record per key wins; a tombstone deletes). ``caught_up`` turns true once it has read
up to the end offsets it saw at start. Listeners (``subscribe``) hear of every record
applied: its key and payload (``None`` for a tombstone)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from prometheus_client import Counter
from pydantic import ValidationError

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import (
    EventPayload,
    UnknownEventType,
    UnknownSchemaVersion,
    unwrap,
)

log = logging.getLogger(__name__)

UNREADABLE = Counter(
    "scoring_api_unreadable_records_total",
    "Records on a compacted topic the API could not read (skipped)",
    ["topic"],
)
RETRY_DELAY_MAX_S = 5.0
READ_TO_NOW_POLL_S = 0.02
CLOCK_SKEW_S = 1.0  # how far the clocks of a record's writer and this reader may differ


P = TypeVar("P", bound=EventPayload)
P_contra = TypeVar("P_contra", bound=EventPayload, contravariant=True)


class Store(Protocol[P_contra]):
    def put(self, key: str, payload: P_contra) -> None: ...
    def delete(self, key: str) -> None: ...


class Latest(Generic[P]):
    """The latest payload per key. ``on_change`` (if set) hears of every key whose payload
    is new or different."""

    def __init__(self) -> None:
        self.items: dict[str, P] = {}
        self.on_change: Callable[[str], None] | None = None

    def put(self, key: str, payload: P) -> None:
        changed = self.items.get(key) != payload
        self.items[key] = payload
        if changed and self.on_change is not None:
            self.on_change(key)

    def delete(self, key: str) -> None:
        self.items.pop(key, None)

    def get(self, key: str) -> P | None:
        return self.items.get(key)


@dataclass(frozen=True)
class ViewConfig:
    bootstrap_servers: str
    client_id: str
    poll_timeout_ms: int
    max_records: int
    # how long the broker holds a fetch with nothing new: also how soon the view's position
    # moves past a transaction's commit marker, which :meth:`CompactedView.read_to_now` waits for
    fetch_max_wait_ms: int = 100


class CompactedView(Generic[P]):
    def __init__(
        self, config: ViewConfig, topic: str, payload_type: type[P], store: Store[P]
    ) -> None:
        self._bootstrap = config.bootstrap_servers
        self._client_id = config.client_id
        self._poll_timeout_ms = config.poll_timeout_ms
        self._max_records = config.max_records
        self._fetch_max_wait_ms = config.fetch_max_wait_ms
        self._read_to = 0.0  # wall-clock time up to which every record written was applied
        self._topic = topic
        self._type = payload_type
        self.store = store
        self._caught_up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None  # while following the topic
        self._listeners: list[Callable[[str, P | None], None]] = []

    def subscribe(self, listener: Callable[[str, P | None], None]) -> None:
        """``listener(key, payload)`` is called after each record is applied to the store
        (``payload`` is ``None`` for a tombstone). It must not block."""
        self._listeners.append(listener)

    @property
    def caught_up(self) -> bool:
        return self._caught_up.is_set()

    async def wait_caught_up(self) -> None:
        await self._caught_up.wait()

    async def read_to(self, written_at: float, timeout_s: float) -> bool:
        """Waits until the view has applied every record written up to ``written_at``
        (Unix seconds, the writer's clock; :data:`CLOCK_SKEW_S` of margin); False if it
        has not within ``timeout_s``, or has no broker. For a reader that finds a key
        missing that may have been written just before what it is reading."""
        if self._read_to >= written_at + CLOCK_SKEW_S:
            return True
        return await self.read_to_now(timeout_s)

    async def read_to_now(self, timeout_s: float) -> bool:
        """Waits until the view has applied every record on its topic now (not only those
        there when it started); False if it has not within ``timeout_s``, or has no
        broker."""
        try:
            async with asyncio.timeout(timeout_s):
                await self.wait_caught_up()
                consumer = self._consumer
                if consumer is None:
                    return False
                started = time.time()
                targets = await consumer.end_offsets(list(consumer.assignment()))
                while not await _reached(consumer, targets):
                    await asyncio.sleep(READ_TO_NOW_POLL_S)
                    if self._consumer is not consumer:  # it lost the broker and restarted
                        return False
                self._read_to = max(self._read_to, started)
                return True
        except (TimeoutError, KafkaError, OSError):
            return False

    async def run(self) -> None:
        """Follows the topic until cancelled (for a host that runs tasks, such as faust)."""
        await self._run_forever()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name=f"view-{self._topic}")

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
                log.warning(
                    "view of %s lost the broker (%r); retry in %.1fs", self._topic, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_DELAY_MAX_S)

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            self._consumer = consumer
            partitions = await self._partitions()
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            started = time.time()
            targets = await consumer.end_offsets(partitions)
            while True:
                await self._read_batch(consumer)
                if not self.caught_up and await _reached(consumer, targets):
                    log.info("view of %s caught up", self._topic)
                    self._read_to = max(self._read_to, started)
                    self._caught_up.set()
        finally:
            self._consumer = None
            await consumer.stop()

    async def _partitions(self) -> list[TopicPartition]:
        delay = 0.2
        while True:
            ids = await self._partition_ids()
            if ids:
                return [TopicPartition(self._topic, p) for p in sorted(ids)]
            log.warning("topic %s does not exist yet; waiting", self._topic)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_DELAY_MAX_S)

    async def _partition_ids(self) -> set[int]:
        client = AIOKafkaClient(bootstrap_servers=self._bootstrap, client_id=self._client_id)
        try:
            await client.bootstrap()
            cluster = await client.fetch_all_metadata()
        finally:
            await client.close()
        return set(cluster.partitions_for_topic(self._topic) or ())

    async def _read_batch(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(
            timeout_ms=self._poll_timeout_ms, max_records=self._max_records
        )
        for records in batches.values():
            for record in records:
                self._apply(record)

    def _apply(self, record: ConsumerRecord[bytes, bytes]) -> None:
        if record.key is None:
            return
        key = record.key.decode(errors="replace")
        if record.value is None:  # tombstone: the key was deleted
            self.store.delete(key)
            self._tell(key, None)
            return
        payload = read_payload(record, self._type)
        if payload is not None:
            self.store.put(key, payload)
            self._tell(key, payload)

    def _tell(self, key: str, payload: P | None) -> None:
        for listener in self._listeners:
            try:
                listener(key, payload)
            except Exception:  # a listener's bug must not stop the view
                log.exception("listener of %s failed on key %s", self._topic, key)


def read_payload(record: ConsumerRecord[bytes, bytes], payload_type: type[P]) -> P | None:
    """The record's payload if it is a readable ``payload_type``; otherwise logged, counted
    and skipped (a reader of a compacted topic has no dead-letter topic of its own)."""
    try:
        payload = unwrap(CloudEvent.from_bytes(record.value))
    except (ValidationError, UnknownEventType, UnknownSchemaVersion) as exc:
        payload, reason = None, repr(exc)
    else:
        reason = f"unexpected event type {type(payload).__name__}"
    if isinstance(payload, payload_type):
        return payload
    UNREADABLE.labels(record.topic).inc()
    log.error(
        "skipping unreadable record %s/%s/%s: %s",
        record.topic,
        record.partition,
        record.offset,
        reason,
    )
    return None


async def _reached(consumer: AIOKafkaConsumer, targets: dict[TopicPartition, int]) -> bool:
    for tp, end in targets.items():
        if await consumer.position(tp) < end:
            return False
    return True
