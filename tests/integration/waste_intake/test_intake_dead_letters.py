"""Records on the intake topics that cannot be read go to the dead-letter topic with the
reason (the worker), the API's views skip them, and the CLI lists and replays them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from intake_support import ADMIN_TOKEN, ReadTopic, intake_settings, running_intake

from waste_intake.entrypoints import dead_letters_cli
from waste_intake.entrypoints.worker import DeadLetterWorker
from waste_intake.settings import IntakeSettings
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.topics import WASTE_CELLS, WASTE_DEAD_LETTERS, WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration
UNKNOWN_TYPE = (
    b'{"specversion":"1.0","id":"x/1","source":"/facilities/x","type":"waste.flow.teleported",'
    b'"time":"2026-11-24T00:00:00Z","dataschema":"urn:x","dataversion":1,"data":{}}'
)


@pytest.fixture
async def worker(kafka_bootstrap: str, provisioned_prefix: str) -> AsyncIterator[IntakeSettings]:
    settings = intake_settings(
        kafka_bootstrap, provisioned_prefix, intake_app_id=f"dlq-{uuid.uuid4().hex[:6]}"
    )
    task = asyncio.create_task(DeadLetterWorker(settings).run())
    yield settings
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _put_raw(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"cell-1")
    finally:
        await producer.stop()


async def _until(read_topic: ReadTopic, topic: str, count: int, timeout_s: float = 30) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout_s
    while len(records := await read_topic(topic)) < count:
        assert time.monotonic() < deadline, f"{topic} holds {len(records)} of {count} records"
        await asyncio.sleep(0.3)
    return records


async def test_unreadable_records_are_dead_lettered_listed_and_replayed(
    worker: IntakeSettings, kafka_bootstrap: str, provisioned_prefix: str, read_topic: ReadTopic
) -> None:
    flows = WASTE_FLOW_EVENTS.full_name(provisioned_prefix)
    await _put_raw(kafka_bootstrap, flows, [b"not json at all", UNKNOWN_TYPE])

    letters = await _until(read_topic, WASTE_DEAD_LETTERS.full_name(provisioned_prefix), 2)
    listed = await dead_letters_cli.run(["list"], worker)
    # Dead letters are written in transactions: offsets are not dense (markers take some).
    second = letters[1].offset
    replayed = await dead_letters_cli.run(["replay", str(second)], worker)

    reasons = [dict(r.headers)["dlq.reason"].decode() for r in letters]
    assert "Invalid JSON" in reasons[0]
    assert "'waste.flow.teleported' does not belong" in reasons[1]
    origin = [(dict(r.headers)["dlq.partition"], dict(r.headers)["dlq.offset"]) for r in letters]
    partition = int(origin[0][0])
    assert origin == [(str(partition).encode(), b"0"), (str(partition).encode(), b"1")]
    assert len(listed) == 2
    assert f"{flows}/{partition}/1" in listed[1]
    assert replayed == [f"replayed dead letter {second} -> {flows}/{partition}/2"]
    assert [r.value for r in await read_topic(flows)].count(UNKNOWN_TYPE) == 2


async def test_the_api_becomes_ready_past_unreadable_records(
    kafka_bootstrap: str, provisioned_prefix: str
) -> None:
    flows = WASTE_FLOW_EVENTS.full_name(provisioned_prefix)
    await _put_raw(kafka_bootstrap, flows, [b"\x00garbage"])

    async with running_intake(intake_settings(kafka_bootstrap, provisioned_prefix)) as intake:
        ready = await intake.get("/readyz")

    assert ready.json()["checks"] == {"kafka": True, "views_caught_up": True}


async def test_the_worker_runs_as_deployed_and_dead_letters(
    kafka_bootstrap: str, provisioned_prefix: str, read_topic: ReadTopic
) -> None:
    port = free_port()
    env = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": provisioned_prefix,
        "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN,
        "INTAKE_APP_ID": f"worker-{uuid.uuid4().hex[:6]}",
        "WORKER_WEB_HOST": "127.0.0.1",
        "WORKER_WEB_PORT": str(port),
    }
    ready = f"http://127.0.0.1:{port}/readyz"
    with ServiceProcess(["waste-intake-worker"], env, ready, name="waste-intake-worker"):
        await _put_raw(kafka_bootstrap, WASTE_CELLS.full_name(provisioned_prefix), [b"{}"])
        (letter,) = await _until(read_topic, WASTE_DEAD_LETTERS.full_name(provisioned_prefix), 1)

    assert dict(letter.headers)["dlq.topic"] == WASTE_CELLS.full_name(provisioned_prefix).encode()
