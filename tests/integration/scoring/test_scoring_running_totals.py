"""The scoring worker and API as processes against the real broker: waste flows produced to
the topic show up in a cell's totals; duplicates count once; unreadable records go to the
dead-letter topic and the worker goes on."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from zw_shared.contracts import wrap
from zw_shared.contracts.waste import WasteFlowRecorded
from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.identities import official_headers
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.topics import SCORING_DEAD_LETTERS, WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration

WAIT_S = 30.0


@dataclass(frozen=True)
class Scoring:
    prefix: str
    env: dict[str, str]
    worker_port: int
    api: httpx.AsyncClient
    producer: AIOKafkaProducer

    @property
    def flows_topic(self) -> str:
        return WASTE_FLOW_EVENTS.full_name(self.prefix)


def worker_process(env: dict[str, str], port: int) -> ServiceProcess:
    return ServiceProcess(
        ["scoring-worker"],
        {**env, "WORKER_WEB_PORT": str(port)},
        f"http://127.0.0.1:{port}/readyz",
        name="scoring-worker",
    )


@pytest.fixture(scope="module")
def scoring_env(kafka_bootstrap: str) -> dict[str, str]:
    prefix = f"sc{uuid.uuid4().hex[:8]}."
    admin = connect_admin(kafka_bootstrap)
    ensure_topics(admin, prefix)
    admin.close()
    return {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": prefix,
        "SCORING_APP_ID": f"{prefix}scoring",
        "WORKER_WEB_HOST": "127.0.0.1",
        "WORKER_STREAM_RECOVERY_DELAY_S": "0",
        "API_HOST": "127.0.0.1",
    }


@pytest.fixture(scope="module")
def worker_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def processes(scoring_env: dict[str, str], worker_port: int) -> Iterator[int]:
    api_port = free_port()
    api = ServiceProcess(
        ["scoring-api"],
        {**scoring_env, "API_PORT": str(api_port)},
        f"http://127.0.0.1:{api_port}/readyz",
        name="scoring-api",
    )
    with worker_process(scoring_env, worker_port), api:
        yield api_port


@pytest.fixture
async def scoring(
    scoring_env: dict[str, str], worker_port: int, processes: int, kafka_bootstrap: str
) -> AsyncIterator[Scoring]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{processes}", timeout=10, headers=official_headers()
    ) as api:
        yield Scoring(scoring_env["TOPIC_PREFIX"], scoring_env, worker_port, api, producer)
    await producer.stop()


def a_flow(cell_id: str, **overrides: Any) -> WasteFlowRecorded:
    fields: dict[str, Any] = {
        "event_id": f"ev-{uuid.uuid4().hex[:8]}",
        "facility_id": "fac-1",
        "cell_id": cell_id,
        "stage": "generated",
        "category": "household_wet",
        "quantity_kg": 12.5,
        "reported_quantity": 12.5,
        "reported_unit": "kg",
        "occurred_at": datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
    }
    return WasteFlowRecorded(**{**fields, **overrides})


def a_cell() -> str:
    return f"cell-{uuid.uuid4().hex[:8]}"


async def send_flow(scoring: Scoring, flow: WasteFlowRecorded) -> None:
    envelope = wrap(
        flow,
        event_id=flow.dedup_key,
        source=f"/facilities/{flow.facility_id}",
        time=datetime.now(UTC),
        subject=flow.cell_id,
    )
    await send_raw(scoring, flow.cell_id, envelope.to_bytes())


async def send_raw(scoring: Scoring, key: str, value: bytes) -> None:
    await scoring.producer.send_and_wait(scoring.flows_topic, value, key=key.encode())


async def totals_when(scoring: Scoring, cell_id: str, event_count: int) -> dict[str, Any]:
    """Polls the API until the cell's totals have counted ``event_count`` events."""
    deadline = time.monotonic() + WAIT_S
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = await scoring.api.get(f"/v1/cells/{cell_id}/totals")
        if response.status_code == 200:
            body = response.json()
            if body["event_count"] >= event_count:
                return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"cell {cell_id} did not reach {event_count} events; last: {body}")


async def dead_letters(scoring: Scoring, kafka_bootstrap: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        SCORING_DEAD_LETTERS.full_name(scoring.prefix),
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + WAIT_S
        while len(records) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            records.extend(r for batch in batches.values() for r in batch)
    finally:
        await consumer.stop()
    return records


async def test_counted_flows_show_in_the_cells_totals_by_category_and_stage(
    scoring: Scoring,
) -> None:
    cell = a_cell()
    await send_flow(scoring, a_flow(cell, quantity_kg=12.5))
    await send_flow(
        scoring,
        a_flow(
            cell,
            quantity_kg=2000.0,
            reported_quantity=2.0,
            reported_unit="t",
            category="household_recyclable",
            stage="recycled",
        ),
    )

    totals = await totals_when(scoring, cell, 2)

    assert totals["total_kg"] == 2012.5
    assert totals["kg_by_category"] == {"household_recyclable": 2000.0, "household_wet": 12.5}
    assert totals["kg_by_stage"] == {"generated": 12.5, "recycled": 2000.0}
    assert totals["event_count"] == 2


async def test_the_same_event_sent_twice_counts_once(scoring: Scoring) -> None:
    cell = a_cell()
    twice = a_flow(cell, quantity_kg=7.0)
    await send_flow(scoring, twice)
    await send_flow(scoring, twice)
    await send_flow(scoring, a_flow(cell, quantity_kg=1.0))  # same partition, read after both

    totals = await totals_when(scoring, cell, 2)

    assert (totals["event_count"], totals["total_kg"]) == (2, 8.0)


async def test_same_event_id_from_two_facilities_counts_twice(scoring: Scoring) -> None:
    cell = a_cell()
    await send_flow(scoring, a_flow(cell, event_id="shared-id", facility_id="fac-a"))
    await send_flow(scoring, a_flow(cell, event_id="shared-id", facility_id="fac-b"))

    totals = await totals_when(scoring, cell, 2)

    assert totals["total_kg"] == 25.0


async def test_unreadable_records_go_to_dead_letters_and_the_next_event_is_counted(
    scoring: Scoring, kafka_bootstrap: str
) -> None:
    cell = a_cell()
    valid = json.loads(
        wrap(
            a_flow(cell), event_id="x", source="/f", time=datetime.now(UTC), subject=cell
        ).to_bytes()
    )
    await send_raw(scoring, cell, b"{not json")
    await send_raw(scoring, cell, json.dumps({**valid, "type": "no.such.type"}).encode())
    await send_raw(
        scoring, cell, json.dumps({**valid, "data": {**valid["data"], "quantity_kg": -3}}).encode()
    )
    await send_raw(scoring, "another-cell", json.dumps(valid).encode())
    await send_flow(scoring, a_flow(cell, quantity_kg=4.0))

    totals = await totals_when(scoring, cell, 1)
    letters = await dead_letters(scoring, kafka_bootstrap, 4)

    assert (totals["event_count"], totals["total_kg"]) == (1, 4.0)
    reasons = sorted(dict(r.headers)["dlq.reason"].decode() for r in letters)
    assert reasons == ["invalid_envelope", "invalid_payload", "key_mismatch", "unknown_event_type"]
    poison = next(r for r in letters if r.value == b"{not json")
    assert dict(poison.headers)["dlq.topic"].decode() == scoring.flows_topic
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://127.0.0.1:{scoring.worker_port}/metrics")).text
    assert 'scoring_dead_letters_total{reason="invalid_envelope"} 1.0' in metrics


async def test_an_unknown_cell_is_404_with_a_reason(scoring: Scoring) -> None:
    response = await scoring.api.get("/v1/cells/never-seen/totals")

    assert response.status_code == 404
    assert "never-seen" in response.json()["detail"]


@pytest.fixture
def fresh_env(kafka_bootstrap: str) -> dict[str, str]:
    prefix = f"sr{uuid.uuid4().hex[:8]}."
    admin = connect_admin(kafka_bootstrap)
    ensure_topics(admin, prefix)
    admin.close()
    return {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": prefix,
        "SCORING_APP_ID": f"{prefix}scoring",
        "WORKER_WEB_HOST": "127.0.0.1",
        "WORKER_STREAM_RECOVERY_DELAY_S": "0",
        # the broker's minimum: a killed worker's partitions move on after this
        "WORKER_SESSION_TIMEOUT_S": "6",
        "WORKER_HEARTBEAT_INTERVAL_S": "1",
        "API_HOST": "127.0.0.1",
    }


async def test_a_restarted_worker_recovers_its_tables_and_counts_a_redelivery_once(
    fresh_env: dict[str, str], kafka_bootstrap: str
) -> None:
    api_port, web_port = free_port(), free_port()
    api = ServiceProcess(
        ["scoring-api"],
        {**fresh_env, "API_PORT": str(api_port)},
        f"http://127.0.0.1:{api_port}/readyz",
        name="scoring-api",
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    cell, first = a_cell(), None
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}", headers=official_headers()
        ) as client:
            with api:
                scoring = Scoring(fresh_env["TOPIC_PREFIX"], fresh_env, web_port, client, producer)
                first = a_flow(cell, quantity_kg=3.0)
                with worker_process(fresh_env, web_port):
                    await send_flow(scoring, first)
                    await send_flow(scoring, a_flow(cell, quantity_kg=4.0))
                    await totals_when(scoring, cell, 2)
                # stopped cleanly, so its offsets are committed: the new worker reads only
                # what follows, and knows the earlier events only from its tables' changelogs
                with worker_process(fresh_env, web_port):
                    await send_flow(scoring, first)
                    await send_flow(scoring, a_flow(cell, quantity_kg=5.0))
                    totals = await totals_when(scoring, cell, 3)
    finally:
        await producer.stop()

    assert (totals["event_count"], totals["total_kg"]) == (3, 12.0)
