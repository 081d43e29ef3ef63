"""The whole system as deployed, for bench/mixed.py: topics provisioned under a fresh
prefix, the six service processes started (workers first, then the APIs, each group at
once), the facilities the load posts for registered through the intake admin API, and one
approved transfer application for the manifests.

Imported by bench/mixed.py after it has put this folder last on the import path.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from _common import ADMIN_TOKEN, Lane, register_lanes
from transfer import DETAILS, DRAFT, JS, SH

from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.identities import actor_headers, use_test_secret
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess

WORKERS = {
    "intake-worker": "waste-intake-worker",
    "scoring-worker": "scoring-worker",
    "transfer-worker": "hazardous-transfer-worker",
}
APIS = {
    "intake-api": "waste-intake-api",
    "scoring-api": "scoring-api",
    "transfer-api": "hazardous-transfer-api",
}


@dataclass
class Stack:
    args: argparse.Namespace
    bootstrap: str
    prefix: str
    ports: dict[str, int]
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    lanes: dict[str, list[Lane]] = field(default_factory=dict)  # per phase that posts flows
    shipper: dict[str, str] = field(default_factory=dict)  # the shipper's identity headers
    draft: dict[str, Any] = field(default_factory=dict)  # a manifest's body
    month: str = field(
        default_factory=lambda: datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    )

    def cells(self) -> list[str]:
        return [lane.cell_id for lanes in self.lanes.values() for lane in lanes]


def environments(prefix: str, bootstrap: str, ports: dict[str, int]) -> dict[str, dict[str, str]]:
    base = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": prefix,
        "API_HOST": "127.0.0.1",
        "WORKER_WEB_HOST": "127.0.0.1",
        "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN,
        "INTAKE_APP_ID": f"{prefix}intake",
        "SCORING_APP_ID": f"{prefix}scoring",
        "WORKER_STREAM_RECOVERY_DELAY_S": "0",
        "HAZARDOUS_APP_ID": f"{prefix}hazardous",
        "NODE_ID": "bench",
        "SERVED_PROVINCES": "31,32",
        "WORKER_URL": f"http://127.0.0.1:{ports['transfer-worker']}",
    }
    found = {name: {**base, "WORKER_WEB_PORT": str(ports[name])} for name in WORKERS}
    found |= {name: {**base, "API_PORT": str(ports[name])} for name in APIS}
    return found


async def start_all(stack: Stack, exits: ExitStack) -> None:
    envs = environments(stack.prefix, stack.bootstrap, stack.ports)
    for group in (WORKERS, APIS):
        started = []
        for name, script in group.items():
            url = f"http://127.0.0.1:{stack.ports[name]}/readyz"
            process = ServiceProcess([script], envs[name], url, 180, name=name)
            exits.callback(process.stop)
            stack.processes[name] = process
            started.append(asyncio.to_thread(process.start))
        await asyncio.gather(*started)


async def approval(port: int, shipper_id: str) -> str:
    """An application through every step to its approval; the approval's id."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        details = dict(DETAILS, shipper_id=shipper_id)
        applied = await http.post(
            "/applications", json={"details": details}, headers=actor_headers(shipper_id, "shipper")
        )
        applied.raise_for_status()
        app_id = applied.json()["record_id"]
        steps = (
            ("acceptance", JS, None),
            ("consultation", JS, None),
            ("answer", SH, {"agreed": True}),
            ("approval", JS, None),
        )
        for step, who, body in steps:
            answer = await http.post(
                f"/applications/{app_id}/{step}", json=body, headers=actor_headers(*who)
            )
            if answer.status_code != 200:
                raise RuntimeError(f"{step} answered {answer.status_code}: {answer.text[:300]}")
        read = await http.get(f"/applications/{app_id}", headers=actor_headers(*JS))
        record = read.raise_for_status().json()
        return str(record["approval"]["approval_id"])


@asynccontextmanager
async def running_stack(args: argparse.Namespace, bootstrap: str) -> AsyncIterator[Stack]:
    use_test_secret()  # the services started here inherit it; the headers are signed with it
    prefix = f"mixed{uuid.uuid4().hex[:6]}."
    admin = connect_admin(bootstrap)
    ensure_topics(admin, prefix)
    admin.close()
    ports = {name: free_port() for name in (*WORKERS, *APIS)}
    stack = Stack(args, bootstrap, prefix, ports)
    with ExitStack() as exits:
        await start_all(stack, exits)
        intake_url, run = f"http://127.0.0.1:{ports['intake-api']}", prefix[5:11]
        for phase in ("flows", "mixed"):
            lanes = await asyncio.to_thread(register_lanes, intake_url, args.lanes, f"{run}{phase}")
            stack.lanes[phase] = lanes
        # The shipper is a registered facility, so scoring counts its manifests in its cell.
        (shipper,) = await asyncio.to_thread(register_lanes, intake_url, 1, f"{run}shipper")
        stack.shipper = actor_headers(shipper.facility_id, "shipper")
        approval_id = await approval(ports["transfer-api"], shipper.facility_id)
        stack.draft = dict(DRAFT, shipper_id=shipper.facility_id, approval_id=approval_id)
        yield stack
