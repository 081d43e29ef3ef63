"""Support of the three-broker scale test: the services as processes on a cluster, a client
that posts waste flows and retries with the same event id, and readers of the topics that
take every record (or the latest payload per key) back off the cluster."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess

ADMIN_TOKEN = "scale-test-admin-token-" + "x" * 16
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
START_TIMEOUT_S = 120.0  # six Python processes and three JVMs on two shared cores


def provision_replicated(bootstrap: str, prefix: str) -> None:
    admin = connect_admin(bootstrap)
    try:
        ensure_topics(admin, prefix, replication_factor=3)
    finally:
        admin.close()


def base_env(bootstrap: str, prefix: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": prefix,
        "TOPIC_REPLICATION_FACTOR": "3",
        "API_HOST": "127.0.0.1",
        "WORKER_WEB_HOST": "127.0.0.1",
        "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN,
    }


def process(name: str, script: str, env: dict[str, str], port_var: str) -> ServiceProcess:
    port = free_port()
    url = f"http://127.0.0.1:{port}/readyz"
    return ServiceProcess([script], {**env, port_var: str(port)}, url, START_TIMEOUT_S, name)


def scoring_worker(name: str, env: dict[str, str], app_id: str, datadir: Path) -> ServiceProcess:
    worker_env = {
        **env,
        "SCORING_APP_ID": app_id,
        "WORKER_STREAM_RECOVERY_DELAY_S": "0",
        "WORKER_DATA_DIR": str(datadir / name),  # each instance its own, as pods have
    }
    return process(name, "scoring-worker", worker_env, "WORKER_WEB_PORT")


def api_url(api: ServiceProcess) -> str:
    assert api.ready_url is not None
    return api.ready_url.removesuffix("/readyz")


def register_cell(intake: httpx.Client, cell_id: str) -> dict[str, str]:
    """A campus cell and one generator in it; returns the facility's authorisation header."""
    cell = {"cell_id": cell_id, "name": cell_id, "cell_type": "campus", "district": "Xuhui"}
    answer = intake.put(
        f"/v1/admin/cells/{cell_id}", json={**cell, "population": 900}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    facility = {
        "facility_id": facility_of(cell_id),
        "name": cell_id,
        "facility_type": "generator",
        "district": "Xuhui",
        "province": "31",
        "cell_id": cell_id,
    }
    path = f"/v1/admin/facilities/{facility_of(cell_id)}"
    assert (answer := intake.put(path, json=facility, headers=ADMIN)).status_code == 200, (
        answer.text
    )
    key = intake.post(f"{path}/api-keys", headers=ADMIN)
    assert key.status_code == 201, key.text
    return {"Authorization": f"Bearer {key.json()['api_key']}"}


def facility_of(cell_id: str) -> str:
    return f"fac-{cell_id}"


def a_flow(n: int, cell_id: str) -> dict[str, Any]:
    """Whole kilograms, so that sums in any order are exact."""
    occurred = datetime.now(UTC) - timedelta(hours=1 + n % 240, minutes=n % 60)
    return {
        "event_id": f"ev-{n:05d}",
        "cell_id": cell_id,
        "stage": "generated",
        "category": ("household_wet", "household_dry", "household_recyclable")[n % 3],
        "quantity": 1 + n % 37,
        "unit": "kg",
        "occurred_at": occurred.isoformat(),
    }


@dataclass
class Outcome:
    """What the stream did: the accepted flows, and every refused or failed attempt."""

    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted_at: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    attempts: int = 0


class Poster:
    """Posts flows over several API replicas in turn; a 503 or a broken connection is
    retried with the same event id (up to ``max_attempts``), as the issue's clients do."""

    def __init__(self, urls: list[str], keys: dict[str, dict[str, str]], max_attempts: int) -> None:
        self.clients = [httpx.AsyncClient(base_url=url, timeout=20) for url in urls]
        self.keys = keys
        self.max_attempts = max_attempts
        self.outcome = Outcome()

    async def post(self, n: int, flow: dict[str, Any]) -> None:
        facility = facility_of(flow["cell_id"])
        for attempt in range(self.max_attempts):
            client = self.clients[(n + attempt) % len(self.clients)]
            self.outcome.attempts += 1
            try:
                answer = await client.post(
                    f"/v1/facilities/{facility}/events", json=flow, headers=self.keys[facility]
                )
            except httpx.TransportError as exc:
                self.outcome.failures.append(f"{flow['event_id']}: {exc!r}")
            else:
                if answer.status_code in (200, 202):
                    self.outcome.accepted[flow["event_id"]] = flow
                    self.outcome.accepted_at.append(time.monotonic())
                    return
                assert answer.status_code == 503, (answer.status_code, answer.text)
                self.outcome.failures.append(f"{flow['event_id']}: 503 {answer.text[:120]}")
            await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError(f"{flow['event_id']} not accepted in {self.max_attempts} attempts")

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()
