"""hazardous-transfer runs as deployed: its API and its worker answer health, readiness and
metrics, and are ready only when the broker answers."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from kafka import KafkaProducer

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.topics import HAZARDOUS_EVENTS

pytestmark = pytest.mark.integration


def _env(bootstrap: str, prefix: str, **extra: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": prefix,
        "API_HOST": "127.0.0.1",
        "READINESS_TIMEOUT_S": "1",
        **extra,
    }


def _api(bootstrap: str, prefix: str, wait_for: str) -> tuple[ServiceProcess, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(bootstrap, prefix, API_PORT=str(port))
    return ServiceProcess(["hazardous-transfer-api"], env, f"{base}{wait_for}"), base


def test_api_is_ready_when_the_broker_answers(
    kafka_bootstrap: str, provisioned_prefix: str
) -> None:
    process, base = _api(kafka_bootstrap, provisioned_prefix, wait_for="/readyz")
    with process:
        ready = httpx.get(f"{base}/readyz", timeout=10)
        metrics = httpx.get(f"{base}/metrics", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"kafka": True, "verdicts": True}
    assert "http_requests_total" in metrics.text


def test_api_is_alive_but_not_ready_when_the_broker_port_is_dead(topic_prefix: str) -> None:
    process, base = _api(f"127.0.0.1:{free_port()}", topic_prefix, wait_for="/healthz")
    with process:
        ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"kafka": False, "verdicts": False}


def test_worker_starts_and_is_ready_against_the_broker(
    kafka_bootstrap: str, provisioned_prefix: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(
        kafka_bootstrap,
        provisioned_prefix,
        WORKER_WEB_PORT=str(port),
        WORKER_WEB_HOST="127.0.0.1",
        HAZARDOUS_APP_ID=f"{provisioned_prefix}hazardous-{uuid.uuid4().hex[:6]}",
    )
    with ServiceProcess(["hazardous-transfer-worker"], env, f"{base}/readyz", 90):
        ready = httpx.get(f"{base}/readyz", timeout=10)
        _send(kafka_bootstrap, provisioned_prefix, [_event_bytes(), b"not an envelope"])
        dead = _wait_for_metric(
            base, 'hazardous_worker_dead_letters_total{reason="unreadable event"} 2.0'
        )
        records = httpx.get(f"{base}/records/applications", timeout=10)
    assert ready.json()["checks"] == {"kafka": True, "tables_recovered": True}
    assert dead, "the worker did not read its topic, or did not dead-letter what it cannot read"
    assert records.json() == []


def _event_bytes() -> bytes:
    return CloudEvent(
        id=uuid.uuid4().hex,
        source="test",
        type="test.ping",
        time=datetime.now(UTC),
        dataschema="urn:test",
        dataversion=1,
        data={},
    ).to_bytes()


def _send(bootstrap: str, prefix: str, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for value in values:
        producer.send(HAZARDOUS_EVENTS.full_name(prefix), value=value, key=b"k")
    producer.flush(10)
    producer.close()


def _wait_for_metric(base: str, line: str, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if line in httpx.get(f"{base}/metrics", timeout=10).text:
            return True
        time.sleep(0.2)
    return False
