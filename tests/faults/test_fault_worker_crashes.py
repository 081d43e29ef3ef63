"""Workers killed (SIGKILL) mid-stream and started again count everything once:

- the scoring worker, while clients post waste flows: afterwards each cell's totals are
  exactly the accepted kilograms and events;
- the hazardous-transfer worker, while manifests go through their steps (clients retry each
  command with its Idempotency-Key): afterwards every manifest is processed, and each of its
  transitions is on hazardous.transfer-events.v1 exactly once.

The services run as processes against the session broker, on a topic prefix of their own."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from faults_flows import (
    Stream,
    post_until_stopped,
    scoring_caught_up,
    scoring_client,
    settled_totals,
    totals_when,
    until_count,
)
from faults_hazardous import STEPS, manifests_through
from faults_support import (
    System,
    register_facility,
    running_system,
)

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

CLIENTS = 4


@pytest.fixture(scope="module")
def system(kafka_bootstrap: str) -> Iterator[System]:
    with running_system(kafka_bootstrap, "intake", "scoring", "hazardous") as running:
        yield running


async def restart(system: System, name: str) -> None:
    """SIGKILL, then a new process of the same service (same group, same tables)."""
    service = system[name]
    log.warning("killing %s (pid %d)", name, service.process.pid if service.process else -1)
    service.kill()
    await asyncio.to_thread(service.start)
    log.warning("%s is back", name)


async def test_a_scoring_worker_killed_mid_stream_counts_every_event_once(
    system: System,
) -> None:
    with httpx.Client(base_url=system["waste-intake-api"].url, timeout=15) as admin:
        parties = [(f"fac-{n}-{uuid.uuid4().hex[:6]}", f"cell-{n}-{uuid.uuid4().hex[:6]}")
                   for n in range(CLIENTS)]  # fmt: skip
        keys = [register_facility(admin, fac, cell) for fac, cell in parties]
    stream = Stream()
    clients = [
        asyncio.create_task(post_until_stopped(system, stream, n, fac, cell, keys[n]))
        for n, (fac, cell) in enumerate(parties)
    ]
    async with scoring_client(system) as scoring:
        await until_count(stream, 40)
        # kill it while it is counting: it has counted some of a cell's events, not all
        await settled_partly(scoring, parties[0][1])
        await restart(system, "scoring-worker")
        await until_count(stream, stream.count() + 40, timeout_s=60)
        stream.stop.set()
        await asyncio.gather(*clients)

        totals = await settled_totals(system, scoring, stream.cells(), timeout_s=90)

    for cell, events in stream.cells().items():
        expected = (events, stream.kg(cell))
        assert (totals[cell]["event_count"], totals[cell]["total_kg"]) == expected, cell
    # nothing more to come: the restarted worker consumed every record of the flow topic
    await scoring_caught_up(system)


async def settled_partly(scoring: httpx.AsyncClient, cell: str) -> None:
    await totals_when(scoring, cell, lambda t: t["event_count"] > 0, 120)


async def test_a_transfer_worker_killed_mid_stream_records_every_transition_once(
    system: System,
) -> None:
    manifests = await manifests_through(
        system["hazardous-api"].url,
        system.bootstrap,
        system.topic("hazardous.transfer-events.v1"),
        lambda: restart(system, "hazardous-worker"),
    )

    manifests.assert_every_transition_once()
    attempts = sum(run.attempts for run in manifests.runs)
    assert attempts > len(manifests.runs) * len(STEPS), "no command was retried"
