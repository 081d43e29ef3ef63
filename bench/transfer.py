"""hazardous-transfer benchmark: manifest transitions per second of one worker (commands in
over Kafka, events published and acknowledged, verdicts back), and API p99 latency of a
manifest read under concurrent clients, against a bare FastAPI endpoint returning the same
document, measured in the same run on the same machine.

Run (needs a container engine for testcontainers; on our machines first
``eval "$(bash deploy/podman/setup-host.sh)"``):

    uv run python bench/transfer.py [--manifests 300]
        [--clients 50] [--requests 40]

It starts its own Kafka broker, one province node as deployed (``hazardous-transfer-worker``
and ``hazardous-transfer-api``, serving 31 and 32) and the bare endpoint (this file,
``serve-bare``). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI

from zw_shared.contracts import unwrap, wrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.hazardous_commands import (
    CommandName,
    TransferCommandAnswered,
    TransferCommandIssued,
)
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.kafka import KafkaBroker, free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.topics import HAZARDOUS_COMMAND_RESULTS, HAZARDOUS_COMMANDS

SHIPPER = ("shipper-js-1", "shipper", None)
JS, SH = ("official-js", "official", "32"), ("official-sh", "official", "31")
CARRIER_A, CARRIER_B = ("carrier-a", "carrier", None), ("carrier-b", "carrier", None)
RECEIVER = ("receiver-sh-1", "receiver", None)
DETAILS = {
    "shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1", "origin_province": "32",
    "origin_prefecture": "05", "destination_province": "31", "waste_code": "900-041-49",
    "waste_category": "HW49", "waste_name": "废包装桶", "quantity_kg": 1e9, "method": "R4",
    "requested_from": "2026-01-01", "requested_until": "2026-12-31",
    "receiver_licence": {"licence_no": "L-1", "covers": ["HW49"], "valid_until": "2030-12-31"},
}  # fmt: skip
TRUCK = {"vehicle": "苏E1", "transport_permit": "P-1", "route": "G2"}
RECEIPT = {"accepted_kg": 1000, "refused_kg": 0, "method": "R4", "observed_code": "900-041-49",
           "observed_form": "solid", "observed_packaging": "drums"}  # fmt: skip


class Commander:
    """Sends commands straight to the commands topic and collects the verdicts."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap, self.prefix = bootstrap, prefix
        self.waiting: dict[str, asyncio.Future[TransferCommandAnswered]] = {}

    async def __aenter__(self) -> Commander:
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=2)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await self.producer.start()
        await self.consumer.start()
        topic = f"{self.prefix}{HAZARDOUS_COMMAND_RESULTS.name}"
        parts = (await self.consumer._client.fetch_all_metadata()).partitions_for_topic(topic)
        self.consumer.assign([TopicPartition(topic, p) for p in parts])
        await self.consumer.seek_to_end()
        for tp in self.consumer.assignment():
            await self.consumer.position(tp)
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        self.reader.cancel()
        await self.producer.stop()
        await self.consumer.stop()

    async def _read(self) -> None:
        async for message in self.consumer:
            verdict = unwrap(CloudEvent.from_bytes(message.value or b""))
            assert isinstance(verdict, TransferCommandAnswered)
            future = self.waiting.pop(verdict.command_id, None)
            if future is not None:
                future.set_result(verdict)

    async def send(
        self,
        name: CommandName,
        target: str,
        who: tuple[str, str, str | None],
        payload: dict[str, Any] | None = None,
    ) -> asyncio.Future[TransferCommandAnswered]:
        actor, role, province = who
        cmd = TransferCommandIssued(
            command_id=uuid.uuid4().hex, name=name, target=target, owner_province="32",
            actor_id=actor, role=role, actor_province=province, issued_at=datetime.now(UTC),
            reply_to="bench", payload=payload or {},
        )  # fmt: skip
        future = asyncio.get_running_loop().create_future()
        self.waiting[cmd.command_id] = future
        envelope = wrap(cmd, event_id=cmd.command_id, source="bench", time=cmd.issued_at,
                        subject=target)  # fmt: skip
        await self.producer.send(f"{self.prefix}{HAZARDOUS_COMMANDS.name}", envelope.to_bytes(),
                                 key=target.encode())  # fmt: skip
        return future


async def verdicts(
    futures: list[asyncio.Future[TransferCommandAnswered]],
) -> list[TransferCommandAnswered]:
    done = await asyncio.wait_for(asyncio.gather(*futures), 300)
    refused = [v for v in done if not v.accepted]
    if refused:
        raise RuntimeError(f"{len(refused)} commands refused, e.g. {refused[0].message}")
    return list(done)


async def approval(c: Commander) -> str:
    applied = (
        await verdicts([await c.send(CommandName.APPLY, "TA-BENCH", SHIPPER, {"details": DETAILS})])
    )[0]
    for name, who, body in (
        (CommandName.ACCEPT, JS, {}),
        (CommandName.CONSULT, JS, {}),
        (CommandName.ANSWER, SH, {"agreed": True}),
        (CommandName.APPROVE, JS, {}),
    ):
        await verdicts([await c.send(name, "TA-BENCH", who, body)])
    assert applied.record_id == "TA-BENCH"
    return "TA-BENCH-approval"


STEPS = (
    (CommandName.PICK_UP, CARRIER_A, TRUCK),
    (CommandName.HAND_OVER, CARRIER_B, TRUCK),
    (CommandName.DELIVER, CARRIER_B, {}),
    (CommandName.RECEIVE, RECEIVER, RECEIPT),
    (CommandName.PROCESS, RECEIVER, {}),
)


async def transitions(c: Commander, approval_id: str, manifests: int) -> tuple[float, list[str]]:
    """Every manifest runs its whole lifecycle at once with the others, each step sent when
    the previous one's verdict is in: a steady flow of commands, as many manifests on the
    way at the same time as ``manifests``."""
    draft = {"shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
             "carriers": ["carrier-a", "carrier-b"], "origin_province": "32",
             "origin_prefecture": "05", "destination_province": "31",
             "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶", "quantity_kg": 1000,
                       "form": "solid", "packaging": "drums"},
             "method": "R4", "approval_id": approval_id}  # fmt: skip

    async def lifecycle() -> tuple[str, int]:
        (drafted,) = await verdicts(
            [await c.send(CommandName.DRAFT_MANIFEST, "3205", SHIPPER, draft)]
        )
        number, events = drafted.record_id or "", len(drafted.event_types)
        for name, who, body in STEPS:
            (done,) = await verdicts([await c.send(name, number, who, body)])
            events += len(done.event_types)
        return number, events

    began = time.perf_counter()
    results = await asyncio.gather(*(lifecycle() for _ in range(manifests)))
    elapsed = time.perf_counter() - began
    return sum(events for _, events in results) / elapsed, [number for number, _ in results]


async def p99_ms(base: str, numbers: list[str], clients: int, requests: int) -> float:
    latencies: list[float] = []

    async def client(i: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for j in range(requests):
                began = time.perf_counter()
                response = await http.get(
                    f"/manifests/{numbers[(i * requests + j) % len(numbers)]}"
                )
                latencies.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return statistics.quantiles(latencies, n=100)[98]


async def batch_stats(metrics_url: str) -> dict[str, float]:
    """Mean commands per batch and mean time per batch, from the worker's own metrics."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(metrics_url)).text
    values = {
        name: float(value)
        for line in text.splitlines()
        if line.startswith("hazardous_command_batch_") and " " in line
        for name, value in [line.rsplit(" ", 1)]
    }
    count = values.get("hazardous_command_batch_size_count", 0.0) or 1.0
    return {
        "mean_batch_size": round(values.get("hazardous_command_batch_size_sum", 0.0) / count, 1),
        "mean_batch_ms": round(
            1000 * values.get("hazardous_command_batch_seconds_sum", 0.0) / count, 1
        ),
    }


def serve_bare(port: int, document_path: str) -> None:
    document = json.loads(Path(document_path).read_text(encoding="utf-8"))
    app = FastAPI()

    @app.get("/manifests/{manifest_no}")
    async def manifest(manifest_no: str) -> dict[str, Any]:
        return dict(document, manifest_no=manifest_no)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    broker = KafkaBroker().start()
    try:
        return await _measure(args, broker.bootstrap_servers)
    finally:
        broker.stop()


async def _measure(args: argparse.Namespace, bootstrap: str) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    admin = connect_admin(bootstrap)
    ensure_topics(admin, prefix)
    admin.close()
    worker_port, api_port, bare_port = free_port(), free_port(), free_port()
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TOPIC_PREFIX": prefix, "NODE_ID": "bench",
           "SERVED_PROVINCES": "31,32", "HAZARDOUS_APP_ID": f"{prefix}hazardous",
           "WORKER_WEB_PORT": str(worker_port), "WORKER_WEB_HOST": "127.0.0.1",
           "WORKER_LOG_LEVEL": "warning", "API_HOST": "127.0.0.1", "API_PORT": str(api_port),
           "WORKER_URL": f"http://127.0.0.1:{worker_port}"}  # fmt: skip
    with ServiceProcess(
        ["hazardous-transfer-worker"], env, f"http://127.0.0.1:{worker_port}/readyz", 120
    ):
        async with Commander(bootstrap, prefix) as commander:
            approval_id = await approval(commander)
            rate, numbers = await transitions(commander, approval_id, args.manifests)
        batches = await batch_stats(f"http://127.0.0.1:{worker_port}/metrics")
        with ServiceProcess(["hazardous-transfer-api"], env, f"http://127.0.0.1:{api_port}/readyz"):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as http:
                document = (await http.get(f"/manifests/{numbers[0]}")).json()
            path = Path(f"/tmp/{prefix}manifest.json")
            text = json.dumps(document, ensure_ascii=False)
            await asyncio.to_thread(path.write_text, text, "utf-8")
            bare = [sys.executable, __file__, "serve-bare", str(bare_port), str(path)]
            with ServiceProcess(bare, {}, f"http://127.0.0.1:{bare_port}/readyz", name="bare"):
                api_p99 = await p99_ms(
                    f"http://127.0.0.1:{api_port}", numbers, args.clients, args.requests
                )
                bare_p99 = await p99_ms(
                    f"http://127.0.0.1:{bare_port}", numbers, args.clients, args.requests
                )
    return {"transitions_per_s": round(rate, 1), "p99_ms": round(api_p99, 2),
            "bare_p99_ms": round(bare_p99, 2), "manifests": args.manifests,
            "clients": args.clients, "requests_per_client": args.requests, **batches}  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    result = asyncio.run(run(parser.parse_args()))
    print(f"manifest transitions/s (one worker): {result['transitions_per_s']}")
    print(f"API p99 {result['p99_ms']} ms vs bare FastAPI p99 {result['bare_p99_ms']} ms "
          f"({result['clients']} clients)")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
