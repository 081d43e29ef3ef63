"""The scoring worker and API as processes against a broker, for tests that read scores
through the public API (integration and end-to-end alike)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess


def provision(bootstrap: str, prefix: str) -> str:
    """Creates every topic of the registry under ``prefix``; returns the prefix."""
    admin = connect_admin(bootstrap)
    try:
        ensure_topics(admin, prefix)
    finally:
        admin.close()
    return prefix


@contextmanager
def running_scoring(bootstrap: str, prefix: str) -> Iterator[int]:
    """Starts ``scoring-worker`` and ``scoring-api`` on the topics under ``prefix`` (already
    provisioned), waits until both are ready and yields the API's port; stops both on exit."""
    env = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": prefix,
        "SCORING_APP_ID": f"{prefix}scoring",
        "WORKER_WEB_HOST": "127.0.0.1",
        "WORKER_STREAM_RECOVERY_DELAY_S": "0",
        "API_HOST": "127.0.0.1",
    }
    web, api = free_port(), free_port()
    worker = ServiceProcess(
        ["scoring-worker"],
        {**env, "WORKER_WEB_PORT": str(web)},
        f"http://127.0.0.1:{web}/readyz",
        name="scoring-worker",
    )
    api_process = ServiceProcess(
        ["scoring-api"],
        {**env, "API_PORT": str(api)},
        f"http://127.0.0.1:{api}/readyz",
        name="scoring-api",
    )
    with worker, api_process:
        yield api
