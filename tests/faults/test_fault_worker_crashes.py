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
from faults_hazardous import (
    SHIPPER,
    STEPS,
    ManifestRun,
    approved_application,
    steps_of,
    transitions,
)
from faults_support import (
    System,
    read_topic,
    register_facility,
    running_system,
)

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

CLIENTS = 4
MANIFESTS = 12
CONCURRENT_MANIFESTS = 6


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
    api_url = system["hazardous-api"].url
    with httpx.Client(base_url=api_url, timeout=30) as setup:
        approval_id = approved_application(setup)
    gate = asyncio.Semaphore(CONCURRENT_MANIFESTS)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as api:
        runs = [ManifestRun(api, approval_id, timeout_s=200) for _ in range(MANIFESTS)]

        async def one(run: ManifestRun) -> str:
            async with gate:
                return await run.run()

        tasks = [asyncio.create_task(one(run)) for run in runs]
        # kill it with commands in flight: some manifests drafted, none finished
        await until_drafted(runs, CONCURRENT_MANIFESTS // 2)
        await restart(system, "hazardous-worker")
        numbers = set(await asyncio.gather(*tasks))

        records = await read_topic(system.bootstrap, system.topic("hazardous.transfer-events.v1"))
        by_step, ids = transitions(records)
        states = {no: await status_of(api, no) for no in numbers}

    assert len(numbers) == MANIFESTS, "every manifest has a number of its own"
    assert sum(run.attempts for run in runs) > MANIFESTS * len(STEPS), "no command was retried"
    assert set(states.values()) == {"processed"}, states
    assert steps_of(by_step, numbers) == dict.fromkeys(numbers, sorted(STEPS))
    drafted = [no for (no, step) in by_step if step == STEPS[0]]
    assert len(drafted) == len(set(drafted)), "a manifest drafted twice"
    assert not {i: n for i, n in ids.items() if n > 1}, "an event published twice"
    # a manifest answered 201 is never "unknown" afterwards, not even while the restarted
    # worker restores its tables (it answers 503, which clients retry)
    lost = [miss for run in runs for miss in run.not_found]
    assert not lost, f"a manifest answered 201 read 404 afterwards: {lost}"


async def status_of(api: httpx.AsyncClient, manifest_no: str) -> str:
    answer = await api.get(f"/manifests/{manifest_no}", headers=SHIPPER)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


async def until_drafted(runs: list[ManifestRun], count: int, timeout_s: float = 120) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while sum(run.manifest_no is not None for run in runs) < count:
        assert asyncio.get_running_loop().time() < deadline, "the manifests never got drafted"
        await asyncio.sleep(0.05)
