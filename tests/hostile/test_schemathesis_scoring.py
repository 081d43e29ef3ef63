"""schemathesis against the scoring API as deployed (``scoring-worker`` and ``scoring-api`` as
processes on the real broker): no request, valid or not, gets a 5xx or an answer outside the
API's own OpenAPI document (status, content type, body schema).

A registered cell with a counted flow is the cell of the authenticated run (an official of
its province), so scores, flows and totals are computed, not 404; then every route
anonymously.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
import schemathesis
from aiokafka import AIOKafkaProducer

from tests.hostile.hostile_schemathesis import (
    Operation,
    assert_past_authentication,
    call_as,
    fuzz,
    fuzz_anonymously,
    load_schema,
    operations,
)
from zw_shared.contracts import EventPayload, wrap
from zw_shared.contracts.waste import CellRegistered, WasteFlowRecorded
from zw_shared.testing.identities import official_headers, use_test_secret
from zw_shared.testing.scoring_stack import provision, running_scoring
from zw_shared.topics import WASTE_CELLS, WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration

CELL = "cell-hostile"
OFFICIAL = official_headers("31")
# An endless text/event-stream: a request to it never completes, so no check could run on
# its answer (its behaviour is covered by the scoring integration tests of the live feed).
ENDLESS = "/v1/events/stream"


@pytest.fixture(scope="module")
def scoring_url(kafka_bootstrap: str) -> Iterator[str]:
    use_test_secret()
    prefix = provision(kafka_bootstrap, f"t{uuid.uuid4().hex[:10]}.")
    asyncio.run(_register_cell_with_a_flow(kafka_bootstrap, prefix))
    with running_scoring(kafka_bootstrap, prefix) as port:
        url = f"http://127.0.0.1:{port}"
        _wait_until_counted(url)
        yield url


async def _register_cell_with_a_flow(bootstrap: str, prefix: str) -> None:
    now = datetime.now(UTC)
    cell = CellRegistered(cell_id=CELL, name="Hostile campus", cell_type="campus",
                          district="Xuhui", population=1000)  # fmt: skip
    flow = WasteFlowRecorded(event_id="evt-1", facility_id="fac-hostile", cell_id=CELL,
                             stage="generated", category="household_wet", quantity_kg=12.5,
                             reported_quantity=12.5, reported_unit="kg",
                             occurred_at=now - timedelta(hours=1))  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await _send(producer, f"{prefix}{WASTE_CELLS.name}", cell, f"register-{CELL}")
        await _send(producer, f"{prefix}{WASTE_FLOW_EVENTS.name}", flow, "fac-hostile/evt-1")
    finally:
        await producer.stop()


async def _send(producer: AIOKafkaProducer, topic: str, payload: EventPayload, id_: str) -> None:
    envelope = wrap(payload, event_id=id_, source="/hostile", time=datetime.now(UTC), subject=CELL)
    await producer.send_and_wait(topic, envelope.to_bytes(), key=CELL.encode())


def _wait_until_counted(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=url, headers=OFFICIAL, timeout=10) as client:
        while client.get(f"/v1/cells/{CELL}/totals").status_code != 200:
            assert time.monotonic() < deadline, "the cell's flow was never counted"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def scoring_schema(scoring_url: str) -> schemathesis.BaseSchema:
    return load_schema(scoring_url)


def _finite_operations(schema: schemathesis.BaseSchema) -> list[Operation]:
    return [op for op in operations(schema) if op.path != ENDLESS]


def test_scoring_answers_an_official_within_its_schema(
    scoring_schema: schemathesis.BaseSchema, subtests: pytest.Subtests
) -> None:
    for operation in _finite_operations(scoring_schema):
        with subtests.test(msg=operation.label):
            statuses = fuzz(operation, partial(call_as, identity=OFFICIAL), {"cell_id": CELL})
            assert_past_authentication(statuses)


def test_scoring_answers_anonymous_callers_within_its_schema(
    scoring_schema: schemathesis.BaseSchema, subtests: pytest.Subtests
) -> None:
    for operation in _finite_operations(scoring_schema):
        with subtests.test(msg=operation.label):
            fuzz_anonymously(operation)
