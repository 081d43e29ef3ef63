"""Two scoring workers in one group: one joins while the other counts, leaves, joins again,
and the other is killed.

Every rebalance used to make each worker read every changelog partition it held from the
start (faust's memory store knows no offset) and count nothing meanwhile. Now a worker
reads only the partitions it gains, from their changelogs, and none it keeps; its copy of
each partition it holds goes to the changelog's end (its own acknowledged writes). Every
cell's totals are exactly the flows produced, after each step."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from faults_flows import scoring_client, settled_totals, totals_of
from faults_support import Service, System, await_for, running_system

from scoring.adapters.log_reader import end_offsets, partitions_of
from zw_shared.contracts import wrap
from zw_shared.contracts.waste import WasteFlowRecorded

pytestmark = pytest.mark.e2e

CELLS = [f"rebalance-cell-{n:02d}" for n in range(18)]  # over all 6 partitions
TABLES = ("cell-totals", "cell-months", "flow-ledger")


@pytest.fixture(scope="module")
def system(kafka_bootstrap: str) -> Iterator[System]:
    with running_system(kafka_bootstrap, "scoring-pair") as running:
        yield running


@pytest.fixture
async def producer(system: System) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def produce_round(system: System, producer: AIOKafkaProducer, round_no: int) -> None:
    """One flow of ``round_no`` x 10 kg per cell, straight onto the waste-flow topic."""
    occurred = datetime.now(UTC) - timedelta(hours=1)
    for cell in CELLS:
        flow = WasteFlowRecorded(
            event_id=f"round-{round_no}-{uuid.uuid4().hex[:6]}", facility_id="fac-rebalance",
            cell_id=cell, stage="generated", category="household_wet",
            quantity_kg=10 * round_no, reported_quantity=10 * round_no, reported_unit="kg",
            occurred_at=occurred,
        )  # fmt: skip
        envelope = wrap(flow, event_id=flow.dedup_key, source="/faults", time=occurred,
                        subject=cell)  # fmt: skip
        await producer.send_and_wait(
            system.topic("waste.flow-events.v1"), envelope.to_bytes(), key=cell.encode()
        )


async def counted(system: System, rounds: int) -> None:
    """Every cell's totals are the flows of rounds 1..``rounds``: 10 + 20 + ... kg."""
    async with scoring_client(system) as scoring:
        totals = await settled_totals(system, scoring, dict.fromkeys(CELLS, rounds), 120)
    expected = {cell: (rounds, 10.0 * rounds * (rounds + 1) / 2) for cell in CELLS}
    assert {c: (t["event_count"], t["total_kg"]) for c, t in totals.items()} == expected


def metric(service: Service, name: str) -> dict[str, float]:
    """A worker's samples of ``name`` by their label set as written in the exposition
    (``""``: no labels)."""
    text = httpx.get(f"{service.url}/metrics", timeout=10).text
    return {
        line[len(name) : line.rindex(" ")]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    }


def restored(service: Service) -> float:
    """Changelog records the worker read into its tables."""
    return metric(service, "scoring_table_records_restored_total").get("", 0.0)


async def changelog_ends(system: System) -> dict[tuple[str, str], int]:
    """(table, partition) -> the end offset of its changelog partition."""
    ends = {}
    for table in TABLES:
        topic = f"{system.scoring_group}-{table}-changelog"
        parts = await partitions_of(system.bootstrap, topic)
        for tp, end in (await end_offsets(system.bootstrap, parts)).items():
            ends[(table, str(tp.partition))] = end
    return ends


def copied_to(service: Service) -> dict[tuple[str, str], float]:
    """(table, partition) -> the last changelog offset the worker's copy holds."""
    found = {}
    for labels, value in metric(service, "scoring_table_changelog_offset").items():
        pairs = dict(item.split("=", 1) for item in labels.strip("{}").split(","))
        table, partition = pairs["table"].strip('"'), pairs["partition"].strip('"')
        if table in TABLES:
            found[(table, partition)] = value
    return found


async def holds_every_record(system: System, worker: Service) -> None:
    """The worker's copy of every partition of every table goes to the changelog's end."""

    async def missing() -> dict[tuple[str, str], tuple[float | None, int]]:
        ends, copied = await changelog_ends(system), await asyncio.to_thread(copied_to, worker)
        return {
            key: (copied.get(key), end)
            for key, end in ends.items()
            if end > 0 and copied.get(key) != end - 1
        }

    await await_for(missing, lambda behind: not behind, 60)


async def ready(service: Service) -> None:
    async def status() -> int:
        try:
            return (
                await asyncio.to_thread(httpx.get, f"{service.url}/readyz", timeout=5)
            ).status_code
        except httpx.HTTPError:
            return 0

    await await_for(status, lambda code: code == 200, 120)


async def test_a_worker_joining_and_leaving_makes_the_other_read_no_record_twice(
    system: System, producer: AIOKafkaProducer
) -> None:
    first, second = system["scoring-worker"], system["scoring-worker-2"]
    await asyncio.to_thread(second.stop)
    second.process = None
    await ready(first)  # alone in the group: every partition is its own
    await produce_round(system, producer, 1)
    await counted(system, 1)
    await holds_every_record(system, first)  # the offsets of its own writes
    read_before = await asyncio.to_thread(restored, first)

    # the second worker joins: it takes half of the partitions over, reading them
    await asyncio.to_thread(second.start)
    await ready(first)
    await produce_round(system, producer, 2)
    await counted(system, 2)
    assert await asyncio.to_thread(restored, first) == read_before, (
        "the first worker read the partitions it kept again"
    )  # faust's memory store: every record of them, at each rebalance
    assert await asyncio.to_thread(restored, second) > 0

    # the second worker leaves: the first reads the partitions it gains, and only those
    total = sum((await changelog_ends(system)).values())
    await asyncio.to_thread(second.stop)
    second.process = None
    await ready(first)
    await produce_round(system, producer, 3)
    await counted(system, 3)
    gained = await asyncio.to_thread(restored, first) - read_before
    assert 0 < gained < total, (gained, total)


async def test_a_worker_killed_mid_stream_leaves_its_partitions_to_the_other_counted_once(
    system: System, producer: AIOKafkaProducer
) -> None:
    first, second = system["scoring-worker"], system["scoring-worker-2"]
    if second.process is None:  # the test before left the first worker alone
        await asyncio.to_thread(second.start)
    await ready(first)
    await ready(second)
    rounds = await rounds_counted(system)
    read_before = await asyncio.to_thread(restored, second)

    # the first worker dies (SIGKILL) while a round of flows is on its way
    sending = asyncio.create_task(produce_round(system, producer, rounds + 1))
    await asyncio.sleep(0.2)
    await asyncio.to_thread(first.kill)
    first.process = None
    await sending
    # and another round after: half of it waits for the broker to end the dead one's session
    await produce_round(system, producer, rounds + 2)
    await counted(system, rounds + 2)  # every flow once
    assert await asyncio.to_thread(restored, second) > read_before  # it read what it gained
    await holds_every_record(system, second)


async def rounds_counted(system: System) -> int:
    """How many rounds every cell has counted so far (the same for each)."""
    async with scoring_client(system) as scoring:
        counts = {(await totals_of(scoring, cell))["event_count"] for cell in CELLS}
    assert len(counts) == 1, counts
    return int(counts.pop())
