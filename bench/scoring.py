"""Scoring benchmark: waste-flow events per second counted by ONE scoring worker, against a
bare aiokafka consume-and-deserialise loop over the same topic in the same run (the ratio is
the figure; the goals are >= 0.3 and >= 10,000 events/s); p99 latency from a POST to the
intake API to the flow counted in the cell's score (and, apart, in its totals) in the scoring
API at a paced rate; and the worker's resident memory once it holds ``--cells`` cells.

Run (needs a container engine for testcontainers; on our machines first
``eval "$(bash deploy/podman/setup-host.sh)"``):

    uv run python bench/scoring.py [--events 40000] [--cells 10000] [--rate 1000]
                                   [--batch 10] [--seconds 15] [--latency-cells 64]

What it does, with its own Kafka broker (zw_shared.testing.kafka.KafkaBroker):
1. registers ``--cells`` cells on the cells topic and pre-loads ``--events`` WasteFlowRecorded
   events across them (and across three months) onto the waste-flow topic;
2. times a bare loop: aiokafka (read_committed) + ``CloudEvent.from_bytes`` + ``unwrap``;
   and a faust agent that only takes the events (``_faust_stream.py``, the worker's app
   class and batching, no tables, no output): the share of faust's own per-event path;
3. starts one ``scoring-worker`` and times it from its first counted event (its own
   ``scoring_flow_events_total``, sampled every 0.2 s) until its consumer group has committed
   the last record of every partition (the JSON's ``events_per_s`` and ``ratio``), and apart
   until it had counted the last one (``counted_events_per_s``: without the wait for faust's
   periodic commit); then reads its RSS from /proc, and what it wrote for those events once
   its topics stop growing (``output_*``: records and bytes per event, by topic; and
   ``all_written_events_per_s``, to the last of them: the scores are published in the
   background, and catch up after the counting);
4. starts ``waste-intake-api`` and ``scoring-api``, registers ``--latency-cells`` cells with one
   facility each through the intake admin API, and POSTs ``--rate`` flows a second (one
   keep-alive connection per cell, each paced; a connection's POSTs are sequential, so its
   k-th flow is the cell's k-th event) while pollers read a few probe cells' score for the
   month the flows occurred in, and apart their totals, from the scoring API: an event is
   scored at the first score with ``flow_events >= k``, and visible in the totals at the first
   answer with ``event_count >= k``. The latency runs from the start of the flow's POST; the
   poll interval bounds its resolution.
   Twice, on fresh cells: single-flow POSTs (one intake API process on our machines
   sustains about 750 a second), then ``--batch`` flows a POST (the ``/batch`` endpoint),
   which reaches the rate: the latter is the JSON's ``p99_post_to_score_ms``.
5. with the services stopped, times the ceiling the worker's output sets (``_ceiling.py``):
   the bare loop's reading and decoding, plus writing per event what the worker wrote per
   event (the same records and sizes, to scratch copies of its topics, with its producer
   settings and batch size): ``ceiling_events_per_s``, and the worker's ``share_of_ceiling``.
The last line printed is one JSON object.
"""

from __future__ import annotations

import sys

# This file is named like the scoring package: look in its folder last, so that
# ``import scoring`` finds the service, not this script (and ``_common`` is still found).
if sys.path and sys.path[0] == __import__("os").path.dirname(__file__):
    sys.path.append(sys.path.pop(0))

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _ceiling import ceiling_rate, settled_ends, topic_ends, written
from _common import (
    ADMIN_TOKEN,
    PROBE_POLL_S,
    Lane,
    percentile,
    poll_lane,
    post_lane,
    register_lanes,
    report_month,
    rss_mb,
)
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from scoring.adapters.log_reader import data_ends, end_offsets, partitions_of
from scoring.settings import ScoringSettings
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import unwrap, wrap
from zw_shared.contracts.waste import (
    CellRegistered,
    CellType,
    FlowStage,
    QuantityUnit,
    WasteCategory,
    WasteFlowRecorded,
)
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.identities import official_headers, use_test_secret
from zw_shared.testing.kafka import KafkaBroker, free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.topics import TOPICS, WASTE_CELLS, WASTE_FLOW_EVENTS, Cleanup

SOURCE = "urn:zero-waste-city:bench"
CELL_TYPES = list(CellType)
CATEGORIES = list(WasteCategory)
STAGES = [FlowStage.GENERATED, FlowStage.COLLECTED]
# the scoring worker's batches by default: the faust baseline takes the events the same way
BATCH = {name: ScoringSettings.model_fields[f"worker_batch_{name}"].default
         for name in ("max_events", "within_s")}  # fmt: skip
# the worker's producer's largest record batch: the ceiling loop writes with the same
PRODUCER_BATCH_BYTES = ScoringSettings.model_fields["worker_producer_batch_bytes"].default


# --- 1. pre-load


def registration(i: int) -> CloudEvent:
    cell = CellRegistered(
        cell_id=f"cell-{i:05d}",
        name=f"Bench cell {i}",
        cell_type=CELL_TYPES[i % len(CELL_TYPES)],
        district=f"District {i % 16}",
        population=500 + i % 5000,
    )
    return wrap(
        cell, event_id=f"bench/{cell.cell_id}", source=SOURCE, time=datetime.now(UTC),
        subject=cell.cell_id,
    )  # fmt: skip


def flow(i: int, cells: int, now: datetime) -> tuple[str, CloudEvent]:
    cell_id = f"cell-{i % cells:05d}"
    kg = 1.0 + (i * 7919) % 500 / 10
    payload = WasteFlowRecorded(
        event_id=f"e{i}", facility_id=f"fac-{i % cells:05d}", cell_id=cell_id,
        stage=STAGES[i % len(STAGES)], category=CATEGORIES[(i // 3) % len(CATEGORIES)],
        quantity_kg=kg, reported_quantity=kg, reported_unit=QuantityUnit.KG,
        occurred_at=now - timedelta(hours=(i * 31) % (24 * 80)),
    )  # fmt: skip
    envelope = wrap(
        payload, event_id=f"{payload.facility_id}/{payload.event_id}", source=SOURCE,
        time=now, subject=cell_id,
    )  # fmt: skip
    return cell_id, envelope


async def produce(bootstrap: str, topic: str, records: list[tuple[str, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=512 * 1024,
        compression_type=None,
    )  # fmt: skip
    await producer.start()
    began = time.perf_counter()
    try:
        pending = []
        for key, value in records:
            pending.append(await producer.send(topic, value, key=key.encode()))
            if len(pending) >= 5_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - began


async def preload(args: argparse.Namespace, bootstrap: str, prefix: str) -> float:
    now = datetime.now(UTC)
    cells = [(f"cell-{i:05d}", registration(i).to_bytes()) for i in range(args.cells)]
    await produce(bootstrap, f"{prefix}{WASTE_CELLS.name}", cells)
    flows = []
    for i in range(args.events):
        cell_id, envelope = flow(i, args.cells, now)
        flows.append((cell_id, envelope.to_bytes()))
    return await produce(bootstrap, f"{prefix}{WASTE_FLOW_EVENTS.name}", flows)


# --- 2. the bare loop


async def bare_rate(bootstrap: str, topic: str, expected: int) -> float:
    """events/s of consume + CloudEvent.from_bytes + unwrap over the whole topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        isolation_level="read_committed", max_poll_records=5_000,
        fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=8 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    try:
        parts = await partitions_of(bootstrap, topic)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen = 0
        began = time.perf_counter()
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1_000, max_records=5_000)
            for records in batches.values():
                for record in records:
                    unwrap(CloudEvent.from_bytes(record.value or b""))
                    seen += 1
        return seen / (time.perf_counter() - began)
    finally:
        await consumer.stop()


async def faust_stream_rate(bootstrap: str, topic: str, events: int, group: str) -> float:
    """events/s of a faust agent that only takes the topic's events (bench/_faust_stream.py):
    faust's own share of the scoring worker's work."""
    out = Path(tempfile.mkdtemp(prefix="bench-faust-")) / "rate"
    env = {**os.environ, "BENCH_BOOTSTRAP": bootstrap, "BENCH_TOPIC": topic,
           "BENCH_GROUP": group, "BENCH_EVENTS": str(events), "BENCH_OUT": str(out)}  # fmt: skip
    env.update((f"BENCH_BATCH_{name.upper()}", str(value)) for name, value in BATCH.items())
    script = Path(__file__).with_name("_faust_stream.py")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), "worker", "-l", "warn", "--without-web", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=600)
    except TimeoutError:
        process.kill()
        raise
    if not out.exists():
        raise RuntimeError(f"the faust stream baseline failed:\n{err.decode()[-3000:]}")
    return float(out.read_text())


# --- 3. the worker


async def counted(http: httpx.AsyncClient, url: str) -> float:
    try:
        text = (await http.get(url)).text
    except httpx.HTTPError:
        return 0.0
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("scoring_flow_events_total{")
    )


async def committed_total(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> int:
    total = 0
    for tp, end in ends.items():
        total += min(await consumer.committed(tp) or 0, end)
    return total


async def time_worker(
    bootstrap: str, group: str, metrics_url: str, ends: dict[TopicPartition, int], limit_s: float
) -> dict[str, float]:
    """From the first event the worker counted until its group committed ``ends``; and apart,
    until it had counted them all (faust commits every few seconds: the rest is that wait).
    """
    target = sum(ends.values())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    first: tuple[float, float] | None = None
    all_counted: float | None = None
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            deadline = time.monotonic() + limit_s
            while time.monotonic() < deadline:
                now = time.perf_counter()
                if all_counted is None:
                    seen = await counted(http, metrics_url)
                    if first is None and seen > 0:
                        first = (now, seen)
                    if first is not None and seen >= target:
                        all_counted = now
                if all_counted is not None and await committed_total(consumer, ends) >= target:
                    assert first is not None
                    elapsed = time.perf_counter() - first[0]
                    counting_s = max(all_counted - first[0], 1e-9)
                    return {
                        "first_counted_at": first[0],
                        "first_counted": first[1],
                        "events_per_s": (target - first[1]) / elapsed,
                        "elapsed_s": elapsed,
                        "counted_events_per_s": (target - first[1]) / counting_s,
                    }
                await asyncio.sleep(0.2)
            done = await committed_total(consumer, ends)
            raise RuntimeError(f"worker committed {done} of {target} in {limit_s}s")
    finally:
        await consumer.stop()


def compacted(prefix: str, topics: Iterable[str]) -> set[str]:
    """Of ``topics``, the compacted ones: the project's so declared, and faust's table
    changelogs (faust compacts them)."""
    named = {spec.full_name(prefix) for spec in TOPICS if spec.cleanup is Cleanup.COMPACT}
    return {topic for topic in topics if topic in named or topic.endswith("-changelog")}


def worker_pid(worker: ServiceProcess) -> int:
    proc = worker._proc  # the console script runs the worker in this very process
    assert proc is not None
    return proc.pid


# --- 4. POST to visible


async def post_to_visible(
    args: argparse.Namespace, intake_port: int, api_port: int, lanes: list[Lane], batch: int
) -> dict[str, float]:
    """``args.rate`` flows a second, ``batch`` flows a POST: p50 and p99 from a POST's start to
    each of its flows counted in the cell's score for the month (and, apart, in its totals),
    and the rate of flows actually POSTed."""
    interval = len(lanes) * batch / args.rate
    start = time.perf_counter() + 0.5
    until = start + args.seconds
    probes = lanes[: args.probe_cells]
    done = asyncio.Event()
    official = official_headers("31")  # scoring's reads are for Shanghai's officials
    month = report_month()
    pollers = [
        asyncio.create_task(poll_lane(api_port, lane, done, headers=official, score_period=p))
        for lane in probes
        for p in (None, month)
    ]
    await asyncio.gather(
        *(post_lane(intake_port, lane, interval, until, start, batch=batch) for lane in lanes)
    )
    posting_s = max(lane.posted[-1] for lane in lanes) - start
    done.set()
    try:
        await asyncio.wait_for(asyncio.gather(*pollers), timeout=args.seconds * 10 + 60)
    except TimeoutError:
        for task in pollers:
            task.cancel()
        raise
    scored = delays(probes, lambda lane: lane.scored)
    totals = delays(probes, lambda lane: lane.visible)
    answered = delays(lanes, lambda lane: lane.answered)  # intake's own share
    posts = sum(len(lane.posted) for lane in lanes)
    return {
        "p50_post_to_score_ms": round(statistics.median(scored), 1),
        "p99_post_to_score_ms": round(percentile(scored, 0.99), 1),
        "p50_post_to_totals_ms": round(statistics.median(totals), 1),
        "p99_post_to_totals_ms": round(percentile(totals, 0.99), 1),
        "p50_post_answered_ms": round(statistics.median(answered), 1),
        "p99_post_answered_ms": round(percentile(answered, 0.99), 1),
        "latency_samples": len(scored),
        "posted_events_per_s": round(posts / max(posting_s, 1e-9), 1),
    }


def delays(probes: list[Lane], seen: Callable[[Lane], list[float]]) -> list[float]:
    """Milliseconds from each probe flow's POST to its being seen."""
    return [
        (at - posted) * 1000
        for lane in probes
        for posted, at in zip(lane.posted, seen(lane), strict=True)
    ]


# --- orchestration


async def measure(args: argparse.Namespace, bootstrap: str) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    prefix = f"bench{run_id}."
    admin = connect_admin(bootstrap)
    ensure_topics(admin, prefix)
    admin.close()
    topic = f"{prefix}{WASTE_FLOW_EVENTS.name}"
    produce_s = await preload(args, bootstrap, prefix)
    ends = await data_ends(
        bootstrap, await end_offsets(bootstrap, await partitions_of(bootstrap, topic))
    )
    assert sum(ends.values()) == args.events, (ends, args.events)
    bare = statistics.median([await bare_rate(bootstrap, topic, args.events) for _ in range(2)])
    faust_alone = await faust_stream_rate(bootstrap, topic, args.events, f"{prefix}faust-alone")

    worker_port, api_port, intake_port = free_port(), free_port(), free_port()
    env = {"ENVIRONMENT": "test", "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TOPIC_PREFIX": prefix,
           "SCORING_APP_ID": f"{prefix}scoring", "WORKER_WEB_HOST": "127.0.0.1",
           "WORKER_WEB_PORT": str(worker_port), "WORKER_STREAM_RECOVERY_DELAY_S": "0",
           "LOG_LEVEL": "WARNING", "API_HOST": "127.0.0.1",
           "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN}  # fmt: skip
    worker_url = f"http://127.0.0.1:{worker_port}"
    before = await topic_ends(bootstrap, prefix)
    launched = time.perf_counter()
    with ServiceProcess(["scoring-worker"], env, None, name="scoring-worker") as worker:
        timed = await time_worker(
            bootstrap, env["SCORING_APP_ID"], f"{worker_url}/metrics", ends, args.worker_limit_s
        )
        whole_s = time.perf_counter() - launched
        rss = rss_mb(worker_pid(worker))
        # what it wrote for the events it counted, before anything else writes
        after, all_written_at = await settled_ends(bootstrap, prefix)
        topics = {tp.topic for tp in after}
        outputs = await written(bootstrap, before, after, compacted(prefix, topics))
        with (
            ServiceProcess(["waste-intake-api"], {**env, "API_PORT": str(intake_port)},
                           f"http://127.0.0.1:{intake_port}/readyz", 120, name="intake-api"),
            ServiceProcess(["scoring-api"], {**env, "API_PORT": str(api_port)},
                           f"http://127.0.0.1:{api_port}/readyz", 120, name="scoring-api"),
        ):  # fmt: skip
            intake_url = f"http://127.0.0.1:{intake_port}"
            lanes = await asyncio.to_thread(
                register_lanes, intake_url, args.latency_cells, f"{run_id}s"
            )
            single = await post_to_visible(args, intake_port, api_port, lanes, 1)
            lanes = await asyncio.to_thread(
                register_lanes, intake_url, args.latency_cells, f"{run_id}b"
            )
            batched = await post_to_visible(args, intake_port, api_port, lanes, args.batch)
        rss_after = rss_mb(worker_pid(worker))
    # with the worker and the APIs stopped, as the bare loop ran alone
    ceilings = []
    for n in range(2):
        scratch = f"{prefix}ceiling{n}."
        ceiling_args = (BATCH["max_events"], PRODUCER_BATCH_BYTES)
        ceilings.append(
            await ceiling_rate(bootstrap, topic, args.events, outputs, scratch, *ceiling_args)
        )
    ceiling = statistics.median(ceilings)
    records = sum(out.records for out in outputs)
    size = sum(out.size for out in outputs)
    rate = timed["events_per_s"]
    return {
        "events_per_s": round(rate, 1),
        "bare_events_per_s": round(bare, 1),
        "ratio": round(rate / bare, 3),
        "counted_events_per_s": round(timed["counted_events_per_s"], 1),
        # to the last record it wrote for them (the scores, published in the background)
        "all_written_events_per_s": round(
            (args.events - timed["first_counted"]) / (all_written_at - timed["first_counted_at"]),
            1,
        ),
        "faust_stream_events_per_s": round(faust_alone, 1),
        "faust_stream_ratio": round(faust_alone / bare, 3),
        # reading and decoding the events and writing what the worker wrote for them, only
        "ceiling_events_per_s": round(ceiling, 1),
        "ceiling_ratio": round(ceiling / bare, 3),
        "share_of_ceiling": round(rate / ceiling, 3),
        "output_records_per_event": round(records / args.events, 2),
        "output_bytes_per_event": round(size / args.events),
        "output_by_topic": {
            out.topic.removeprefix(prefix): [out.records, out.size] for out in outputs
        },
        # the figure: flows at --rate a second, --batch flows a POST
        **batched,
        "flows_per_post": args.batch,
        # the same rate in single-flow POSTs (as far as the machine sustains them)
        **{f"single_post_{name}": value for name, value in single.items()},
        "rss_mb": round(rss, 1),
        "rss_mb_after_latency": round(rss_after, 1),
        "events": args.events,
        "cells": args.cells,
        "worker_elapsed_s": round(timed["elapsed_s"], 2),
        "worker_launch_to_committed_s": round(whole_s, 2),
        "preload_events_per_s": round(args.events / produce_s, 1),
        "target_rate": args.rate,
        "latency_seconds": args.seconds,
        "latency_cells": args.latency_cells,
        "probe_cells": args.probe_cells,
        "probe_poll_s": PROBE_POLL_S,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def print_table(r: dict[str, Any]) -> None:
    def rate_note(posted: float) -> str:
        sustained = posted >= 0.95 * r["target_rate"]
        return "" if sustained else f" (machine sustained only {posted:.0f}/s)"

    rows = [
        (f"scoring worker ({r['events']} events, {r['cells']} cells)",
         f"{r['events_per_s']:.0f} events/s"),
        ("  the same, to all counted (before faust's periodic commit)",
         f"{r['counted_events_per_s']:.0f} events/s"),
        ("  the same, to the last record it wrote for them (scores are published after)",
         f"{r['all_written_events_per_s']:.0f} events/s"),
        ("bare aiokafka + from_bytes + unwrap", f"{r['bare_events_per_s']:.0f} events/s"),
        ("ratio (goal >= 0.3, and >= 10,000 events/s)", f"{r['ratio']:.3f}"),
        ("a faust agent only taking the events (its ratio)",
         f"{r['faust_stream_events_per_s']:.0f} events/s ({r['faust_stream_ratio']:.3f})"),
        (f"  reading the events and writing only what the worker wrote "
         f"({r['output_records_per_event']:.2f} records, "
         f"{r['output_bytes_per_event'] / 1000:.1f} kB an event; its ratio)",
         f"{r['ceiling_events_per_s']:.0f} events/s ({r['ceiling_ratio']:.3f})"),
        ("  the worker's share of that ceiling", f"{r['share_of_ceiling']:.3f}"),
        (f"POST -> counted in the score, p50 / p99 at {r['target_rate']:.0f} flows/s, "
         f"{r['flows_per_post']} a POST{rate_note(r['posted_events_per_s'])}",
         f"{r['p50_post_to_score_ms']:.0f} / {r['p99_post_to_score_ms']:.0f} ms"),
        ("  POST -> in the totals, p50 / p99 (same flows)",
         f"{r['p50_post_to_totals_ms']:.0f} / {r['p99_post_to_totals_ms']:.0f} ms"),
        ("  POST -> intake's answer, p50 / p99 (every POSTed flow)",
         f"{r['p50_post_answered_ms']:.0f} / {r['p99_post_answered_ms']:.0f} ms"),
        (f"the same, 1 flow a POST{rate_note(r['single_post_posted_events_per_s'])}: "
         "score / totals p99",
         f"{r['single_post_p99_post_to_score_ms']:.0f} / "
         f"{r['single_post_p99_post_to_totals_ms']:.0f} ms"),
        ("flows actually POSTed (batched / single)",
         f"{r['posted_events_per_s']:.0f} / {r['single_post_posted_events_per_s']:.0f} a second"),
        (f"worker RSS with {r['cells']} cells (after latency run)",
         f"{r['rss_mb']:.0f} MB ({r['rss_mb_after_latency']:.0f} MB)"),
        ("worker launch -> all committed", f"{r['worker_launch_to_committed_s']:.1f} s"),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    use_test_secret()  # the services run as ENVIRONMENT=test: they need a token secret
    broker = KafkaBroker().start()
    try:
        return await measure(args, broker.bootstrap_servers)
    finally:
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=40_000, help="events pre-loaded")
    parser.add_argument("--cells", type=int, default=10_000, help="cells they spread over")
    parser.add_argument("--rate", type=float, default=1_000, help="flows POSTed per second")
    parser.add_argument("--batch", type=int, default=10, help="flows per POST (batched run)")
    parser.add_argument("--seconds", type=float, default=15, help="how long to POST")
    parser.add_argument("--latency-cells", type=int, default=64, help="cells POSTed to")
    parser.add_argument("--probe-cells", type=int, default=4, help="cells polled for totals")
    parser.add_argument("--worker-limit-s", type=float, default=900)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print_table(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
