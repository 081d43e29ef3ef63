"""A province node with two hazardous-transfer workers: one active, one hot standby.

The active worker is killed (SIGKILL) while manifests go through their steps and is NOT
started again: the standby takes the node over (after the broker ends the dead worker's
session), and every manifest is still processed, each transition on
hazardous.transfer-events.v1 exactly once, no manifest answered 201 is ever read as unknown,
and the serial numbers the node handed out have no gap. The killed worker, started again,
joins as the standby: the node does not move back."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Iterator

import httpx
import pytest
from faults_hazardous import approved_application, manifests_through
from faults_support import Service, System, await_for, running_system
from kafka import KafkaConsumer, TopicPartition

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

MANIFESTS = 12
WORKERS = ("hazardous-worker", "hazardous-worker-2")


@pytest.fixture(scope="module")
def system(kafka_bootstrap: str) -> Iterator[System]:
    with running_system(kafka_bootstrap, "hazardous-pair") as running:
        yield running


def role_of(service: Service) -> str | None:
    """``active`` or ``standby`` as the worker's /readyz says (None: not ready, or down)."""
    try:
        answer = httpx.get(f"{service.url}/readyz", timeout=5)
    except httpx.HTTPError:
        return None
    return str(answer.json()["role"]) if answer.status_code == 200 else None


async def roles(system: System, timeout_s: float = 90) -> dict[str, str | None]:
    """The workers' roles once exactly one is active and each live one is ready."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = {name: await asyncio.to_thread(role_of, system[name]) for name in WORKERS}
        live = [name for name in WORKERS if system[name].process is not None]
        if list(found.values()).count("active") == 1 and all(found[n] for n in live):
            return found
        assert asyncio.get_running_loop().time() < deadline, f"no settled roles: {found}"
        await asyncio.sleep(0.5)


async def until_active(service: Service, since: float, timeout_s: float = 120) -> float:
    """Seconds from ``since`` until the worker says it is active."""
    loop = asyncio.get_running_loop()
    while await asyncio.to_thread(role_of, service) != "active":
        assert loop.time() - since < timeout_s, f"{service.name} never took the node over"
        await asyncio.sleep(0.1)
    return loop.time() - since


async def test_the_standby_takes_the_node_over_and_records_every_transition_once(
    system: System,
) -> None:
    before = await roles(system)
    active = next(name for name, role in before.items() if role == "active")
    standby = next(name for name in WORKERS if name != active)
    assert before[standby] == "standby", before
    took_over: list[asyncio.Task[float]] = []

    async def kill_the_active_worker() -> None:
        log.warning("killing the active worker %s", active)
        system[active].kill()
        system[active].process = None
        killed_at = asyncio.get_running_loop().time()
        took_over.append(asyncio.create_task(until_active(system[standby], killed_at)))

    manifests = await manifests_through(
        system["hazardous-api"].url,
        system.bootstrap,
        system.topic("hazardous.transfer-events.v1"),
        kill_the_active_worker,
        count=MANIFESTS,
    )
    log.warning("%s took the node over %.1f s after the kill", standby, await took_over[0])

    assert await roles(system) == {active: None, standby: "active"}, "the standby holds it now"
    manifests.assert_every_transition_once()
    # 14-digit numbers, the last 6 the prefecture's serial of the year: on a node of its
    # own (a fresh topic prefix) 1, 2, ... without a gap
    assert sorted(int(no[-6:]) for no in manifests.drafted()) == list(range(1, MANIFESTS + 1))

    # the killed worker comes back as the standby: the node stays where it is
    await asyncio.to_thread(system[active].start)
    assert await roles(system) == {active: "standby", standby: "active"}


def restored(service: Service) -> float:
    """The worker's ``hazardous_table_records_restored_total``: changelog records it read."""
    text = httpx.get(f"{service.url}/metrics", timeout=5).text
    name = "hazardous_table_records_restored_total"
    (line,) = [x for x in text.splitlines() if x.startswith(name)]
    return float(line.rsplit(" ", 1)[1])


def changelog_records(system: System) -> int:
    """How many records the node's table changelogs hold (the sum of their end offsets)."""
    group = system["hazardous-worker"].env["HAZARDOUS_APP_ID"]
    consumer = KafkaConsumer(bootstrap_servers=system.bootstrap)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in consumer.topics()
            if topic.startswith(f"{group}-") and topic.endswith("-changelog")
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


async def test_workers_leaving_and_joining_read_no_changelog_record_twice(
    system: System,
) -> None:
    with httpx.Client(base_url=system["hazardous-api"].url, timeout=30) as api:
        approved_application(api)  # the node holds records (and the other test's besides)
    before = await roles(system)
    active = next(name for name, role in before.items() if role == "active")
    standby = next(name for name in WORKERS if name != active)
    read_by_active = await asyncio.to_thread(restored, system[active])

    # the standby leaves the group and joins it again: two rebalances of the active worker
    await asyncio.to_thread(system[standby].stop)
    await asyncio.to_thread(system[standby].start)
    assert await roles(system) == {active: "active", standby: "standby"}
    assert await asyncio.to_thread(restored, system[active]) == read_by_active, (
        "the active worker read its changelogs again"
    )  # faust's memory store: every record of the node at each rebalance

    # the restarted standby copies every record of the node ...
    total = await asyncio.to_thread(changelog_records, system)
    await await_for(lambda: asyncio.to_thread(restored, system[standby]), lambda n: n >= total)
    copied = await asyncio.to_thread(restored, system[standby])
    assert copied == total, "each record copied once"

    # ... so when the active worker stops, it takes the node over without reading again
    await asyncio.to_thread(system[active].stop)
    system[active].process = None
    assert await roles(system) == {active: None, standby: "active"}
    assert await asyncio.to_thread(restored, system[standby]) == copied

    await asyncio.to_thread(system[active].start)
    assert await roles(system) == {active: "standby", standby: "active"}


async def test_a_worker_that_lost_the_node_while_frozen_copies_it_afresh_and_takes_it_back(
    system: System,
) -> None:
    with httpx.Client(base_url=system["hazardous-api"].url, timeout=30) as api:
        approved_application(api)
    before = await roles(system)
    frozen = next(name for name, role in before.items() if role == "active")
    other = next(name for name in WORKERS if name != frozen)
    process = system[frozen].process
    assert process is not None
    read_before = await asyncio.to_thread(restored, system[frozen])

    # frozen past its session timeout on a quiet node: the standby takes the node over
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        await until_active(system[other], asyncio.get_running_loop().time())
    finally:
        os.killpg(process.pid, signal.SIGCONT)
    assert await roles(system) == {frozen: "standby", other: "active"}

    # it wrote as the active worker: it forgets its copy and reads every record again
    total = await asyncio.to_thread(changelog_records, system)
    await await_for(
        lambda: asyncio.to_thread(restored, system[frozen]), lambda n: n - read_before >= total
    )

    async def stop_the_active_worker() -> None:
        await asyncio.to_thread(system[other].stop)
        system[other].process = None

    # and it can take the node back, with manifests in flight
    manifests = await manifests_through(
        system["hazardous-api"].url,
        system.bootstrap,
        system.topic("hazardous.transfer-events.v1"),
        stop_the_active_worker,
        count=6,
        concurrent=3,
    )
    assert await roles(system) == {frozen: "active", other: None}
    manifests.assert_every_transition_once()
    serials = sorted(int(no[-6:]) for no in manifests.drafted())
    assert serials == list(range(serials[0], serials[0] + len(serials))), "a gap in the numbers"
    await asyncio.to_thread(system[other].start)
