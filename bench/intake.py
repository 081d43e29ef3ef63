"""Intake benchmark: events/s of single POSTs acknowledged by a real Kafka broker, against a
bare FastAPI endpoint doing the same validation without Kafka, in the same run on the same
machine (the ratio is the figure; the goal is >= 0.6); events/s of the batch endpoint; and
p50 / p99 latency of the single POST.

Run (needs a container engine for testcontainers; on our machines first
``eval "$(bash deploy/podman/setup-host.sh)"``):

    uv run python bench/intake.py [--events 2000] [--concurrency 32,128] [--rounds 3]
                                  [--batch-size 500] [--batches 10]

It starts its own Kafka broker (zw_shared.testing.kafka.KafkaBroker), the intake API as
deployed (``waste-intake-api``, one uvicorn process) and the bare endpoint (this file,
``serve-bare``, one uvicorn process), then alternates rounds between the two. It prints a
table and, as the last line, one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from typing import Any

import httpx
from _common import ADMIN_TOKEN, Http, percentile, report
from fastapi import FastAPI, Header, HTTPException

from waste_intake.bootstrap import limits_of, utc_now
from waste_intake.domain.credentials import key_hash
from waste_intake.domain.flows import FlowReport
from waste_intake.domain.ledger import Ledger
from waste_intake.domain.registry import Registry
from waste_intake.entrypoints.deps import FacilityIdPath
from waste_intake.entrypoints.responses import outcome_response
from waste_intake.handlers.flows import FlowContext, FlowHandler
from waste_intake.settings import IntakeSettings
from zw_shared.adapters.publisher import Published
from zw_shared.contracts.waste import CellRegistered, FacilityRegistered
from zw_shared.testing.processes import ServiceProcess

BARE_KEY = "zwk_bench-bare-key"
CELL = {"cell_id": "cell-bench", "name": "Bench", "cell_type": "campus", "district": "Xuhui",
        "population": 1000}  # fmt: skip
FACILITY = {"facility_id": "fac-bench", "name": "Bench", "facility_type": "generator",
            "district": "Xuhui", "province": "31", "cell_id": "cell-bench"}  # fmt: skip


# --- the bare endpoint: the same route, body model, key check, rules and idempotency
# bookkeeping as the intake API, with a publisher that acknowledges at once.


def bare_app() -> FastAPI:
    class AckAtOnce:
        offset = 0

        async def publish(self, topic: str, key: str, event: Any) -> Published:
            event.to_bytes()  # the serialisation the real publisher does
            self.offset += 1
            return Published(topic, 0, self.offset)

    registry = Registry()
    registry.apply(CellRegistered.model_validate(CELL))
    registry.apply(FacilityRegistered.model_validate(FACILITY))
    expected = key_hash(BARE_KEY)
    settings = IntakeSettings(intake_admin_token=ADMIN_TOKEN)
    ctx = FlowContext(AckAtOnce(), "bare", limits_of(settings), utc_now, registry, Ledger(),
                      lambda: True)  # fmt: skip
    handler = FlowHandler(ctx)
    app = FastAPI()

    @app.post("/v1/facilities/{facility_id}/events", status_code=202)
    async def post_event(
        facility_id: FacilityIdPath, report: FlowReport, authorization: str = Header()
    ) -> Any:
        if key_hash(authorization.removeprefix("Bearer ")) != expected:
            raise HTTPException(status_code=401)
        return outcome_response(await handler.record(facility_id, report))

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning")


# --- load


async def single_round(
    url: str, key: str, events: int, concurrency: int, prefix: str
) -> tuple[float, list[float]]:
    """events/s and per-request latencies (s) of ``events`` single POSTs over
    ``concurrency`` keep-alive connections."""
    path = "/v1/facilities/fac-bench/events"
    bodies = [json.dumps(report(i, prefix)).encode() for i in range(events)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []

    async def worker() -> None:
        client = Http(int(url.rsplit(":", 1)[1]))
        try:
            while not queue.empty():
                body = queue.get_nowait()
                began = time.perf_counter()
                status, answer = await client.request("POST", path, body, key)
                latencies.append(time.perf_counter() - began)
                if status != 202:
                    raise RuntimeError(f"{url} answered {status}: {answer[:300]!r}")
        finally:
            await client.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return events / (time.perf_counter() - began), latencies


async def batch_round(url: str, key: str, batches: int, size: int, prefix: str) -> float:
    path = f"{url}/v1/facilities/fac-bench/events/batch"
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=60) as client:
        began = time.perf_counter()
        for b in range(batches):
            items = [report(b * size + i, prefix) for i in range(size)]
            answer = await client.post(path, json=items, headers=headers)
            counts = answer.json().get("counts", {}) if answer.status_code == 200 else {}
            if counts.get("accepted", 0) + counts.get("duplicate", 0) != size:
                raise RuntimeError(f"batch answered {answer.status_code}: {answer.text[:300]}")
        return batches * size / (time.perf_counter() - began)


# --- orchestration


def register(url: str) -> str:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=url, headers=admin, timeout=30) as client:
        client.put(f"/v1/admin/cells/{CELL['cell_id']}", json=CELL).raise_for_status()
        client.put(
            f"/v1/admin/facilities/{FACILITY['facility_id']}", json=FACILITY
        ).raise_for_status()
        issued = client.post(f"/v1/admin/facilities/{FACILITY['facility_id']}/api-keys")
        issued.raise_for_status()
        return str(issued.json()["api_key"])


async def measure_at(
    args: argparse.Namespace,
    concurrency: int,
    urls: tuple[str, str],
    intake_key: str,
    servers: tuple[ServiceProcess, ServiceProcess],
) -> dict[str, Any]:
    """Alternating rounds of single POSTs to the intake API and the bare endpoint, over
    ``concurrency`` connections each."""
    (intake_url, bare_url), (intake, bare_server) = urls, servers
    warm = min(200, args.events)
    await single_round(intake_url, intake_key, warm, concurrency, f"w{concurrency}")
    await single_round(bare_url, BARE_KEY, warm, concurrency, f"w{concurrency}")
    single, bare, latencies = [], [], []
    cpu = {"intake": 0.0, "bare": 0.0}
    for r in range(args.rounds):
        tag = f"c{concurrency}r{r}"
        before = intake.cpu_seconds()
        rate, lat = await single_round(intake_url, intake_key, args.events, concurrency, tag)
        cpu["intake"] += intake.cpu_seconds() - before
        single.append(rate)
        latencies += lat
        before = bare_server.cpu_seconds()
        bare.append((await single_round(bare_url, BARE_KEY, args.events, concurrency, tag))[0])
        cpu["bare"] += bare_server.cpu_seconds() - before
    posts = args.rounds * args.events
    return {
        "concurrency": concurrency,
        "single_events_per_s": round(statistics.median(single), 1),
        "bare_events_per_s": round(statistics.median(bare), 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        # Server CPU per single POST: tells a CPU-bound server from one waiting on the broker.
        "cpu_ms_per_event": round(cpu["intake"] * 1000 / posts, 3),
        "bare_cpu_ms_per_event": round(cpu["bare"] * 1000 / posts, 3),
    }


async def measure(
    args: argparse.Namespace,
    urls: tuple[str, str],
    intake_key: str,
    servers: tuple[ServiceProcess, ServiceProcess],
) -> dict[str, Any]:
    """Each endpoint's throughput at its best concurrency level (an API that waits for the
    broker needs more requests in flight to be saturated than one that does not), latency
    and CPU at the first level."""
    levels = [await measure_at(args, c, urls, intake_key, servers) for c in args.concurrency]
    batch = await batch_round(urls[0], intake_key, args.batches, args.batch_size, "batch")
    single_rate = max(level["single_events_per_s"] for level in levels)
    bare_rate = max(level["bare_events_per_s"] for level in levels)
    first = levels[0]
    return {
        "single_events_per_s": single_rate,
        "bare_events_per_s": bare_rate,
        "ratio": round(single_rate / bare_rate, 3),
        "batch_events_per_s": round(batch, 1),
        "p50_ms": first["p50_ms"],
        "p99_ms": first["p99_ms"],
        "cpu_ms_per_event": first["cpu_ms_per_event"],
        "bare_cpu_ms_per_event": first["bare_cpu_ms_per_event"],
        "latency_at_concurrency": first["concurrency"],
        "by_concurrency": levels,
        "events_per_round": args.events,
        "rounds": args.rounds,
        "batch_size": args.batch_size,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from zw_shared.provisioning import connect_admin, ensure_topics
    from zw_shared.testing.kafka import KafkaBroker, free_port

    broker = KafkaBroker().start()
    try:
        admin = connect_admin(broker.bootstrap_servers)
        ensure_topics(admin, "bench.")
        admin.close()
        intake_port, bare_port = free_port(), free_port()
        env = {"ENVIRONMENT": "test", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
               "TOPIC_PREFIX": "bench.", "API_HOST": "127.0.0.1", "API_PORT": str(intake_port),
               "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN,
               # The bare endpoint logs no line per request either.
               "API_ACCESS_LOG": "false",
               "PUBLISH_LANES": os.environ.get("PUBLISH_LANES", "1")}  # fmt: skip
        intake_url, bare_url = f"http://127.0.0.1:{intake_port}", f"http://127.0.0.1:{bare_port}"
        bare_argv = [sys.executable, __file__, "serve-bare", str(bare_port)]
        with (
            ServiceProcess(["waste-intake-api"], env, f"{intake_url}/readyz", name="intake") as a,
            ServiceProcess(bare_argv, {}, f"{bare_url}/readyz", name="bare") as b,
        ):
            key = register(intake_url)
            result = asyncio.run(measure(args, (intake_url, bare_url), key, (a, b)))
        result["broker_start_s"] = round(broker.started_in_s or 0, 2)
        return result
    finally:
        broker.stop()


def print_table(result: dict[str, Any]) -> None:
    rows = [
        (
            "single POST, broker-acknowledged (best level)",
            f"{result['single_events_per_s']:.0f} events/s",
        ),
        (
            "bare FastAPI, same validation (best level)",
            f"{result['bare_events_per_s']:.0f} events/s",
        ),
        ("ratio (goal >= 0.6)", f"{result['ratio']:.2f}"),
        (
            f"batch POST ({result['batch_size']} per request)",
            f"{result['batch_events_per_s']:.0f} events/s",
        ),
        (
            f"single POST latency p50 / p99 ({result['latency_at_concurrency']} connections)",
            f"{result['p50_ms']:.1f} / {result['p99_ms']:.1f} ms",
        ),
        (
            "server CPU per single POST: intake / bare",
            f"{result['cpu_ms_per_event']:.2f} / {result['bare_cpu_ms_per_event']:.2f} ms",
        ),
    ]
    for level in result["by_concurrency"]:
        rows.append(
            (
                f"  at {level['concurrency']} connections: intake / bare",
                f"{level['single_events_per_s']:.0f} / {level['bare_events_per_s']:.0f} events/s",
            )
        )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "serve-bare":
        serve_bare(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000, help="single POSTs per round")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(level) for level in text.split(",")],
        default=[32, 128],
        help="connection counts to measure at, comma-separated; latency at the first",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batches", type=int, default=10)
    result = run(parser.parse_args())
    print_table(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
