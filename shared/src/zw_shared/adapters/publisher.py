"""Publishing with the broker's acknowledgement, and nothing half-written behind a refusal.

Every write goes through a *transactional* producer (idempotent by construction, ``acks=all``)
and every consumer of the project reads ``read_committed``. Concurrent ``publish`` calls are
gathered into one transaction (group commit), so the cost of a commit is shared by every
request waiting at that moment.

When a transaction does not commit within ``publish_timeout_s`` (the broker is down, slow or
unreachable), every caller in it gets :class:`BrokerUnavailable` (the API answers 503) and the
producer is discarded. The next producer registers the same ``transactional.id``, which fences
the old one and makes the broker abort its open transaction; if the broker never sees the new
producer, the transaction coordinator aborts it after ``transaction.timeout.ms``. Either way
no read_committed consumer ever sees those records.

Order: a publish that starts after another one returned lands after it. Publishes that are
in flight at the same time may land in either order (they run in separate transactions).

The one case no client can rule out: the commit reached the broker and only its answer was
lost. Clients retry with the same event id, and consumers are idempotent on it, so that case
is counted once.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.producer import sender as aiokafka_sender

from zw_shared.contracts.envelope import CloudEvent

log = logging.getLogger(__name__)

# Right after a commit the coordinator is still writing the transaction's markers, and the
# next transaction's first AddPartitionsToTxn is answered CONCURRENT_TRANSACTIONS
# (KAFKA-5477). aiokafka 0.14 then waits a fixed 20 ms, which was most of a transaction's
# latency here (28 ms of 30 ms, measured on an idle broker); 3 ms retries bring it to ~12 ms.
# The constant is module-level in aiokafka; aiokafka is pinned, so the name is stable.
aiokafka_sender.BACKOFF_OVERRIDE = 0.003

Headers = list[tuple[str, bytes]]


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge the write in time; nothing was published."""


@dataclass(frozen=True)
class Published:
    topic: str
    partition: int
    offset: int


@dataclass
class _Pending:
    topic: str
    key: bytes
    value: bytes
    headers: Headers | None
    deadline: float
    future: asyncio.Future[Published] = field(default_factory=asyncio.Future)


@dataclass
class _Lane:
    """One transactional producer; at most one transaction open at a time."""

    transactional_id: str
    producer: AIOKafkaProducer | None = None


class EventPublisher:
    def __init__(
        self,
        bootstrap_servers: str,
        publish_timeout_s: float,
        client_id: str,
        transactional_id: str | None = None,
        max_batch: int = 1000,
        lanes: int = 1,
    ) -> None:
        """``transactional_id`` should be stable per instance (a StatefulSet pod name, say):
        a restarted instance then fences its predecessor and aborts its open transaction at
        once. Without one, a unique id is made up, and an open transaction left by a crash
        is aborted by the coordinator after its timeout.

        ``lanes`` producers (``<transactional_id>-<n>``) each keep one transaction in flight,
        so a commit's round trips to the coordinator overlap with the next group's."""
        if lanes < 1:
            raise ValueError(f"lanes must be at least 1, got {lanes}")
        self._bootstrap = bootstrap_servers
        self._timeout_s = publish_timeout_s
        self._client_id = client_id
        base_id = transactional_id or f"{client_id}-{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self._lanes = [_Lane(f"{base_id}-{n}") for n in range(lanes)]
        self._max_batch = max_batch
        self._queue: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._runners: list[asyncio.Task[None]] = []
        self.transactions_committed = 0
        self.transactions_failed = 0

    async def start(self) -> None:
        """Connects in the background: the service starts (and answers /healthz) while the
        broker is away, and answers 503 on writes until a producer is connected."""
        self._runners = [
            asyncio.create_task(self._run(lane), name=f"event-publisher-{n}")
            for n, lane in enumerate(self._lanes)
        ]

    async def stop(self) -> None:
        for runner in self._runners:
            runner.cancel()
        await asyncio.gather(*self._runners, return_exceptions=True)
        self._fail(list(self._queue), "the service is shutting down")
        self._queue.clear()
        for lane in self._lanes:
            if lane.producer is not None:
                await self._close(lane.producer)
                lane.producer = None

    async def publish(self, topic: str, key: str, event: CloudEvent) -> Published:
        return await self.publish_raw(topic, key, event.to_bytes())

    async def publish_raw(
        self, topic: str, key: str, value: bytes, headers: Headers | None = None
    ) -> Published:
        if self._connected() is None:
            raise BrokerUnavailable("not connected to the Kafka broker")
        pending = _Pending(topic, key.encode(), value, headers, time.monotonic() + self._timeout_s)
        self._queue.append(pending)
        self._wakeup.set()
        # A runner resolves every future: it is sent by the deadline or failed unsent.
        return await pending.future

    async def is_ready(self, timeout_s: float) -> bool:
        """True when a producer is connected and the broker answers a metadata request."""
        producer = self._connected()
        if producer is None:
            return False
        try:
            await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout_s)
        except (KafkaError, TimeoutError, OSError):
            return False
        return True

    def _connected(self) -> AIOKafkaProducer | None:
        return next((lane.producer for lane in self._lanes if lane.producer is not None), None)

    async def _run(self, lane: _Lane) -> None:
        while True:
            if lane.producer is None:
                lane.producer = await self._connect(lane.transactional_id)
            await self._wakeup.wait()
            batch = self._take_batch()
            if batch:
                await self._commit(lane, batch)

    def _take_batch(self) -> list[_Pending]:
        now = time.monotonic()
        batch: list[_Pending] = []
        while self._queue and len(batch) < self._max_batch:
            pending = self._queue.popleft()
            if pending.deadline < now:
                self._fail([pending], "the broker did not take the write in time")
            else:
                batch.append(pending)
        if not self._queue:
            self._wakeup.clear()
        return batch

    async def _commit(self, lane: _Lane, batch: list[_Pending]) -> None:
        producer = lane.producer
        assert producer is not None
        try:
            results = await asyncio.wait_for(self._transact(producer, batch), self._timeout_s)
        except (KafkaError, TimeoutError, OSError) as exc:
            self.transactions_failed += 1
            log.warning("transaction of %d records failed: %r", len(batch), exc)
            self._fail(batch, f"the broker did not acknowledge the write: {exc!r}")
            lane.producer = None
            await self._kill(producer)
            return
        self.transactions_committed += 1
        for pending, published in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(published)

    async def _transact(self, producer: AIOKafkaProducer, batch: list[_Pending]) -> list[Published]:
        await producer.begin_transaction()
        sent = [await producer.send(p.topic, p.value, key=p.key, headers=p.headers) for p in batch]
        # Commit only once every record is acknowledged: a transaction abandoned before its
        # commit is aborted (fenced by the next producer, or timed out by the coordinator).
        metadata = await asyncio.gather(*sent)
        await producer.commit_transaction()
        return [Published(m.topic, m.partition, m.offset) for m in metadata]

    @staticmethod
    async def _kill(producer: AIOKafkaProducer) -> None:
        """Stops a failed producer for good. ``stop()`` alone would let its sender go on
        retrying, and a retried commit could land after the callers were told 503; so the
        sender task is cancelled first (aiokafka 0.14 exposes no public way to do it)."""
        sender_task = getattr(getattr(producer, "_sender", None), "sender_task", None)
        if sender_task is not None:
            sender_task.cancel()
        try:
            await asyncio.wait_for(producer.client.close(), 2.0)
        except (KafkaError, TimeoutError, OSError) as exc:
            log.debug("closing a failed producer: %r", exc)

    async def _connect(self, transactional_id: str) -> AIOKafkaProducer:
        delay = 0.2
        while True:
            producer = self._new_producer(transactional_id)
            try:
                await asyncio.wait_for(producer.start(), self._timeout_s * 2)
            except (KafkaError, TimeoutError, OSError) as exc:
                log.warning("broker not reachable yet (%r); retrying in %.1fs", exc, delay)
                await self._close(producer)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                return producer

    def _new_producer(self, transactional_id: str) -> AIOKafkaProducer:
        timeout_ms = int(self._timeout_s * 1000)
        return AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            transactional_id=transactional_id,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=timeout_ms,
            # An abandoned transaction is aborted by the coordinator after this long, which is
            # also how long read_committed consumers may be held up behind it.
            transaction_timeout_ms=max(4 * timeout_ms, 10_000),
            linger_ms=0,
            retry_backoff_ms=100,
        )

    async def _close(self, producer: AIOKafkaProducer) -> None:
        try:
            await asyncio.wait_for(producer.stop(), 2.0)
        except (KafkaError, TimeoutError, OSError) as exc:
            log.debug("closing a discarded producer: %r", exc)

    @staticmethod
    def _fail(batch: list[_Pending], reason: str) -> None:
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(BrokerUnavailable(reason))
