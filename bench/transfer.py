"""hazardous-transfer benchmark: manifest transitions per second of one worker (commands in
over Kafka, events published and acknowledged, verdicts back), and API p99 latency of a
manifest read under concurrent clients, against a bare FastAPI endpoint returning the same
document, measured in the same run on the same machine and in the same way.

Transitions are measured twice: with work waiting (``--queued`` manifests drafted at once,
then all their later steps sent at once: the worker's capacity, ``transitions_per_s``) and
in a closed loop (``--manifests`` manifests at once, each step sent when the previous
verdict is in: bounded by a command's round trip too). The worker's CPU time per command
tells its cost apart from the machine's load (the bench, the broker and the worker share it).

Run (needs a container engine for testcontainers; on our machines first
``eval "$(bash deploy/podman/setup-host.sh)"``):

    uv run python bench/transfer.py [--queued 1000] [--manifests 300]
        [--clients 50] [--requests 40]

It starts its own Kafka broker, one province node as deployed (``hazardous-transfer-worker``
and ``hazardous-transfer-api``, serving 31 and 32) and the bare endpoint (this file,
``serve-bare``). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
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
    TransferCommandsAnswered,
)
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.identities import actor_headers
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
            answer = unwrap(CloudEvent.from_bytes(message.value or b""))
            if isinstance(answer, TransferCommandsAnswered):
                answered = list(answer.verdicts)
            else:
                assert isinstance(answer, TransferCommandAnswered)
                answered = [answer]
            for verdict in answered:
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
        return await self.send_prepared(prepare(name, target, who, payload))

    async def send_prepared(self, command: Prepared) -> asyncio.Future[TransferCommandAnswered]:
        command_id, target, value = command
        future = asyncio.get_running_loop().create_future()
        self.waiting[command_id] = future
        await self.producer.send(f"{self.prefix}{HAZARDOUS_COMMANDS.name}", value,
                                 key=target.encode())  # fmt: skip
        return future


Prepared = tuple[str, str, bytes]  # command id, target, the record


def prepare(
    name: CommandName,
    target: str,
    who: tuple[str, str, str | None],
    payload: dict[str, Any] | None = None,
) -> Prepared:
    actor, role, province = who
    cmd = TransferCommandIssued(
        command_id=uuid.uuid4().hex, name=name, target=target, owner_province="32",
        actor_id=actor, role=role, actor_province=province, issued_at=datetime.now(UTC),
        reply_to="bench", payload=payload or {},
    )  # fmt: skip
    envelope = wrap(cmd, event_id=cmd.command_id, source="bench", time=cmd.issued_at,
                    subject=target)  # fmt: skip
    return cmd.command_id, target, envelope.to_bytes()


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


Who = tuple[str, str, str | None]  # actor id, role, province
STEPS: tuple[tuple[CommandName, Who, dict[str, Any]], ...] = (
    (CommandName.PICK_UP, CARRIER_A, TRUCK),
    (CommandName.HAND_OVER, CARRIER_B, TRUCK),
    (CommandName.DELIVER, CARRIER_B, {}),
    (CommandName.RECEIVE, RECEIVER, RECEIPT),
    (CommandName.PROCESS, RECEIVER, {}),
)


DRAFT = {"shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
         "carriers": ["carrier-a", "carrier-b"], "origin_province": "32",
         "origin_prefecture": "05", "destination_province": "31",
         "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶", "quantity_kg": 1000,
                   "form": "solid", "packaging": "drums"},
         "method": "R4"}  # fmt: skip


async def pipelined(c: Commander, approval_id: str, manifests: int) -> tuple[float, list[str]]:
    """The worker's capacity: every manifest is drafted at once, then the five later steps
    of every manifest are sent at once, each manifest's in order (they share its partition,
    so the worker decides them in the order sent): the worker always has work waiting.
    The commands are built before the clock runs (the bench shares the machine)."""
    draft = dict(DRAFT, approval_id=approval_id)
    drafts = [prepare(CommandName.DRAFT_MANIFEST, "3205", SHIPPER, draft) for _ in range(manifests)]
    began = time.perf_counter()
    drafted = await verdicts([await c.send_prepared(d) for d in drafts])
    elapsed = time.perf_counter() - began
    numbers = [v.record_id or "" for v in drafted]
    steps = [prepare(name, number, who, body) for number in numbers for name, who, body in STEPS]
    began = time.perf_counter()
    done = await verdicts([await c.send_prepared(step) for step in steps])
    elapsed += time.perf_counter() - began
    return sum(len(v.event_types) for v in (*drafted, *done)) / elapsed, numbers


async def closed_loop(c: Commander, approval_id: str, manifests: int) -> float:
    """Every manifest runs its whole lifecycle at once with the others, each step sent when
    the previous one's verdict is in (as clients do): ``manifests`` commands on the way at
    any time, so the rate is bounded by the round trip of a command too."""
    draft = dict(DRAFT, approval_id=approval_id)

    async def lifecycle() -> int:
        (drafted,) = await verdicts(
            [await c.send(CommandName.DRAFT_MANIFEST, "3205", SHIPPER, draft)]
        )
        number, events = drafted.record_id or "", len(drafted.event_types)
        for name, who, body in STEPS:
            (done,) = await verdicts([await c.send(name, number, who, body)])
            events += len(done.event_types)
        return events

    began = time.perf_counter()
    events = await asyncio.gather(*(lifecycle() for _ in range(manifests)))
    return sum(events) / (time.perf_counter() - began)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def latencies_ms(
    base: str,
    numbers: list[str],
    clients: int,
    requests: int,
    path: str = "/manifests/",
    headers: dict[str, str] | None = None,
) -> dict[str, float]:
    """``clients`` concurrent clients, each sending ``requests`` reads one after the other,
    over one pool of keep-alive connections opened before the clock starts. aiohttp's
    client, not httpx's: at 50 concurrent requests httpx's pool takes a whole core and its
    queueing, not the server, made the p99 (a bare endpoint measured 1.2 s at p99 with
    the client at 100% CPU and the server at 14%)."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    session = aiohttp.ClientSession(base, connector=connector, timeout=timeout, headers=headers)
    async with session as http:

        async def get(path: str) -> None:
            async with http.get(path) as response:
                await response.read()
                response.raise_for_status()

        async def client(i: int) -> None:
            for j in range(requests):
                began = time.perf_counter()
                await get(f"{path}{numbers[(i * requests + j) % len(numbers)]}")
                latencies.append((time.perf_counter() - began) * 1000)

        await asyncio.gather(*(get(f"{path}{n}") for n in numbers[:clients]))
        began = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50": round(cuts[49], 2), "p99": round(cuts[98], 2),
            "rps": round(len(latencies) / elapsed, 1)}  # fmt: skip


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
    ) as worker:
        async with Commander(bootstrap, prefix) as commander:
            approval_id = await approval(commander)
            cpu_before = cpu_seconds(worker.pid)
            rate, numbers = await pipelined(commander, approval_id, args.queued)
            cpu_ms = 1000 * (cpu_seconds(worker.pid) - cpu_before) / (6 * args.queued)
            looped = await closed_loop(commander, approval_id, args.manifests)
        batches = await batch_stats(f"http://127.0.0.1:{worker_port}/metrics")
        with ServiceProcess(["hazardous-transfer-api"], env, f"http://127.0.0.1:{api_port}/readyz"):
            reader = actor_headers(*JS)  # the origin's official may read the manifests
            api_url = f"http://127.0.0.1:{api_port}"
            async with httpx.AsyncClient(base_url=api_url, headers=reader) as http:
                document = (await http.get(f"/manifests/{numbers[0]}")).json()
            path = Path(f"/tmp/{prefix}manifest.json")
            text = json.dumps(document, ensure_ascii=False)
            await asyncio.to_thread(path.write_text, text, "utf-8")
            bare = [sys.executable, __file__, "serve-bare", str(bare_port), str(path)]
            with ServiceProcess(bare, {}, f"http://127.0.0.1:{bare_port}/readyz", name="bare"):
                api = await latencies_ms(
                    api_url, numbers, args.clients, args.requests, headers=reader
                )
                plain = await latencies_ms(
                    f"http://127.0.0.1:{bare_port}", numbers, args.clients, args.requests
                )
    return {"transitions_per_s": round(rate, 1),
            "closed_loop_transitions_per_s": round(looped, 1),
            "worker_cpu_ms_per_command": round(cpu_ms, 3),
            "p99_ms": api["p99"], "bare_p99_ms": plain["p99"],
            "p50_ms": api["p50"], "bare_p50_ms": plain["p50"],
            "api_requests_per_s": api["rps"], "bare_requests_per_s": plain["rps"],
            "queued": args.queued, "manifests": args.manifests, "clients": args.clients,
            "requests_per_client": args.requests, **batches}  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queued", type=int, default=1000)
    parser.add_argument("--manifests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    result = asyncio.run(run(parser.parse_args()))
    print(
        f"manifest transitions/s (one worker): {result['transitions_per_s']} with work "
        f"waiting, {result['closed_loop_transitions_per_s']} with {result['manifests']} "
        f"manifests each waiting for its verdicts; worker CPU "
        f"{result['worker_cpu_ms_per_command']} ms per command"
    )
    print(f"API p99 {result['p99_ms']} ms (p50 {result['p50_ms']}) vs bare FastAPI p99 "
          f"{result['bare_p99_ms']} ms (p50 {result['bare_p50_ms']}), {result['clients']} "
          f"clients")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
