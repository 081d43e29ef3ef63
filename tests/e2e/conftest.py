"""End-to-end fixtures: the services run as deployed, each a separate process started from
its console script, against the real broker, with a fresh topic prefix per test module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.stack import ADMIN_TOKEN, Stack, service
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.identities import official_headers
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str) -> Iterator[Stack]:
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    admin = connect_admin(kafka_bootstrap)
    ensure_topics(admin, prefix)
    admin.close()
    base = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": prefix,
        "API_HOST": "127.0.0.1",
    }
    ports = {name: free_port() for name in ("intake", "scoring", "worker")}
    processes = {
        "scoring-worker": service(
            "scoring-worker",
            ["scoring-worker"],
            {
                **base,
                "WORKER_WEB_PORT": str(ports["worker"]),
                "SCORING_APP_ID": f"{prefix}scoring",
                "WORKER_STREAM_RECOVERY_DELAY_S": "0",
            },
            ports["worker"],
        ),
        "scoring-api": service(
            "scoring-api",
            ["scoring-api"],
            {**base, "API_PORT": str(ports["scoring"])},
            ports["scoring"],
        ),
        "waste-intake-api": service(
            "waste-intake-api",
            ["waste-intake-api"],
            {**base, "API_PORT": str(ports["intake"]), "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN},
            ports["intake"],
        ),
    }
    started: list[ServiceProcess] = []
    try:
        for process in processes.values():
            started.append(process.start())
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{ports['intake']}", timeout=15) as intake,
            httpx.Client(
                base_url=f"http://127.0.0.1:{ports['scoring']}",
                timeout=15,
                headers=official_headers(),
            ) as scoring,
        ):
            yield Stack(intake, scoring, prefix, processes)
    finally:
        for process in reversed(started):
            process.stop()
