"""The broker restarted during a steady stream of POSTs: several clients post single events
to waste-intake and retry each one (same event id) on 503 or a lost answer until it is
taken. Afterwards every accepted event is on the flow topic exactly once (read_committed)
and scoring's totals of every cell are exactly the accepted kilograms and events.

Uses a broker of its own: stopping it leaves the session broker to the other tests."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from faults_flows import (
    Stream,
    flow_ids_on_topic,
    post_until_stopped,
    scoring_caught_up,
    scoring_client,
    settled_totals,
    until_count,
)
from faults_support import (
    System,
    read_topic,
    register_facility,
    running_system,
)

from zw_shared.testing.kafka import KafkaBroker

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

CLIENTS = 6
BEFORE_RESTART = 60  # events accepted before the broker stops
AFTER_RESTART = 60  # and after it is back


@pytest.fixture(scope="module")
def own_broker() -> Iterator[KafkaBroker]:
    broker = KafkaBroker().start()
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def system(own_broker: KafkaBroker) -> Iterator[System]:
    # A write the broker does not take within 2 s is answered 503 (and never recorded). The
    # scoring worker's record batches not taken within 3 s are sent again (rather than
    # waited on for faust's 20 minutes): the restart exercises that too.
    with running_system(own_broker.bootstrap_servers, "intake", "scoring",
                        scoring_env={"WORKER_PRODUCER_REQUEST_TIMEOUT_S": "3"},
                        PUBLISH_TIMEOUT_S="2") as running:  # fmt: skip
        yield running


async def test_a_broker_restart_mid_stream_loses_and_doubles_nothing(
    system: System, own_broker: KafkaBroker
) -> None:
    with httpx.Client(base_url=system["waste-intake-api"].url, timeout=15) as admin:
        parties = [
            (f"fac-{n}-{uuid.uuid4().hex[:6]}", f"cell-{n % 3}-{uuid.uuid4().hex[:6]}")
            for n in range(CLIENTS)
        ]
        keys = [register_facility(admin, fac, cell) for fac, cell in parties]
    stream = Stream()
    clients = [
        asyncio.create_task(post_until_stopped(system, stream, n, fac, cell, keys[n]))
        for n, (fac, cell) in enumerate(parties)
    ]

    await until_count(stream, BEFORE_RESTART)
    log.warning("%d accepted; stopping the broker", stream.count())
    await asyncio.to_thread(own_broker.pause_broker)
    log.warning("%d accepted; starting the broker", stream.count())
    await asyncio.to_thread(own_broker.resume_broker)
    restarted_at = stream.count()
    log.warning("%d accepted; broker back", restarted_at)
    await until_count(stream, restarted_at + AFTER_RESTART, timeout_s=180)
    stream.stop.set()
    await asyncio.gather(*clients)
    log.warning("%d accepted with %d retries; checking", stream.count(), stream.retries)

    assert stream.retries > 0, "no client ever had to retry: the restart was not felt"
    on_topic = Counter(
        i
        for i in flow_ids_on_topic(
            await read_topic(system.bootstrap, system.topic("waste.flow-events.v1"))
        )
    )
    assert set(on_topic) == set(stream.accepted), "accepted events == events on the topic"
    doubled = {i: n for i, n in on_topic.items() if n > 1}
    assert not doubled, f"events on the flow topic more than once: {doubled}"
    async with scoring_client(system) as scoring:
        totals = await settled_totals(system, scoring, stream.cells(), timeout_s=90)
    for cell, events in stream.cells().items():
        assert (totals[cell]["event_count"], totals[cell]["total_kg"]) == (
            events,
            stream.kg(cell),
        ), cell
    # nothing more to come: the worker consumed every record of the flow topic
    await scoring_caught_up(system)
