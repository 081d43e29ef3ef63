"""What the scoring worker writes for the events it counts, and the ceiling that writing sets.

The worker writes, for every event, its table changelog records, the cell's totals and month,
and (debounced) the scores of the periods they are in. ``written`` reads what it wrote
between two snapshots of the end offsets of every topic of the run: records and bytes per
topic, and a sample of its records. ``ceiling_rate`` then times a loop that does only what
no worker can skip: it reads and decodes the events as the bare loop does, and for each one
writes as many records of each topic as the worker wrote per event, from that sample (the
same keys and sizes), into scratch copies of those topics (same partitions and cleanup),
with the worker's producer settings, waiting for the broker's acknowledgements after each
batch of the worker's size, as the worker does. Its rate is what the broker and the machine
allow a worker that publishes what the scoring worker publishes; the worker's share of it
is what its own work costs.

Not a benchmark itself: imported by ``bench/scoring.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from scoring.adapters.batch_sender import BatchSender, Record
from scoring.adapters.log_reader import end_offsets, partitions_of, partitions_where
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import unwrap
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.topics import Cleanup, TopicSpec

Sample = tuple[bytes | None, bytes | None]  # key, value


@dataclass
class Output:
    topic: str
    partitions: int
    compacted: bool
    records: int = 0
    size: int = 0  # bytes of keys and values
    sample: list[Sample] = field(default_factory=list)


async def topic_ends(bootstrap: str, prefix: str) -> dict[TopicPartition, int]:
    """The end offset of every partition of every topic named ``prefix...``."""
    parts = await partitions_where(bootstrap, lambda topic: topic.startswith(prefix))
    return await end_offsets(bootstrap, parts) if parts else {}


async def settled_ends(
    bootstrap: str, prefix: str, quiet_s: float = 1.0, limit_s: float = 120.0
) -> tuple[dict[TopicPartition, int], float]:
    """:func:`topic_ends` once they stopped moving for ``quiet_s`` (the worker publishes
    scores in the background, after it counted), and when they last moved
    (``time.perf_counter``, within 0.2 s)."""
    deadline = time.monotonic() + limit_s
    ends, moved = await topic_ends(bootstrap, prefix), time.perf_counter()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        now = await topic_ends(bootstrap, prefix)
        if now != ends:
            ends, moved = now, time.perf_counter()
        elif time.perf_counter() - moved >= quiet_s:
            return ends, moved
    raise RuntimeError(f"the worker's topics were still growing after {limit_s} s")


async def written(
    bootstrap: str,
    before: dict[TopicPartition, int],
    after: dict[TopicPartition, int],
    compacted: set[str],
    keep: int = 2_000,
) -> list[Output]:
    """The records each topic received between two snapshots (a topic made meanwhile starts
    at 0), with the first ``keep`` of each as its sample."""
    grown = {tp: (before.get(tp, 0), end) for tp, end in after.items() if end > before.get(tp, 0)}
    outputs: dict[str, Output] = {}
    partitions: dict[str, int] = {}
    for tp in after:
        partitions[tp.topic] = partitions.get(tp.topic, 0) + 1
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed",
        max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    try:
        consumer.assign(list(grown))
        for tp, (start, _) in grown.items():
            consumer.seek(tp, start)
        pending = set(grown)
        while pending:
            for tp, records in (await consumer.getmany(*pending, timeout_ms=500)).items():
                out = outputs.get(tp.topic)
                if out is None:
                    out = outputs[tp.topic] = Output(
                        tp.topic, partitions[tp.topic], tp.topic in compacted
                    )
                for record in records:
                    if record.offset >= grown[tp][1]:
                        break
                    out.records += 1
                    out.size += len(record.key or b"") + len(record.value or b"")
                    if len(out.sample) < keep:
                        out.sample.append((record.key, record.value))
            pending = {tp for tp in pending if await consumer.position(tp) < grown[tp][1]}
    finally:
        await consumer.stop()
    return sorted(outputs.values(), key=lambda out: out.topic)


async def ceiling_rate(
    bootstrap: str,
    source: str,
    events: int,
    outputs: Iterable[Output],
    scratch_prefix: str,
    batch_max_events: int,
    producer_batch_bytes: int,
) -> float:
    """events/s of reading and decoding ``source`` while writing, per event, what the worker
    wrote per event (see the module's docstring)."""
    outputs = [out for out in outputs if out.sample]
    specs = [_scratch_copy(out) for out in outputs]
    admin = connect_admin(bootstrap)
    try:
        ensure_topics(admin, scratch_prefix, specs=specs)
    finally:
        admin.close()
    # (scratch topic, sample, records per event) per output; the i-th event writes the
    # records that bring each topic's count to round(rate * i)
    plan = [(f"{scratch_prefix}{out.topic}", out.sample, out.records / events) for out in outputs]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        isolation_level="read_committed", max_poll_records=batch_max_events,
    )  # fmt: skip
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_batch_size=producer_batch_bytes
    )
    await consumer.start()
    await producer.start()
    try:
        parts = await partitions_of(bootstrap, source)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        for topic, _, _ in plan:  # known before the clock starts
            await producer.client._wait_on_metadata(topic)
        sender = BatchSender(lambda: producer)  # the worker's way of sending a batch
        counts = [0] * len(plan)
        seen = 0
        began = time.perf_counter()
        while seen < events:
            fetched = await consumer.getmany(timeout_ms=1_000, max_records=batch_max_events)
            batch: list[Record] = []
            for records in fetched.values():
                for record in records:
                    unwrap(CloudEvent.from_bytes(record.value or b""))
                    seen += 1
                    for n, (topic, sample, rate) in enumerate(plan):
                        while counts[n] < round(rate * seen):
                            key, value = sample[counts[n] % len(sample)]
                            counts[n] += 1
                            batch.append((topic, None, key, value))
            await asyncio.gather(*await sender.send_all(batch))
        return seen / (time.perf_counter() - began)
    finally:
        await producer.stop()
        await consumer.stop()


def _scratch_copy(out: Output) -> TopicSpec:
    cleanup = Cleanup.COMPACT if out.compacted else Cleanup.DELETE
    return TopicSpec(
        name=out.topic, owner="bench", partitions=out.partitions, cleanup=cleanup,
        retention_ms=-1, key="as the worker's", event_types=(),
        description="a scratch copy of a topic the scoring worker wrote (bench/_ceiling.py)",
    )  # fmt: skip
