"""Scale past one machine: three Kafka brokers (replication 3, min in-sync replicas 2) under
testcontainers, two waste-intake APIs, two waste-intake workers and two scoring workers in
one consumer group, each a process as deployed.

A stream of single POSTs runs while one broker is stopped: every flow is still accepted
(retried with its event id after a 503), and the scoring workers count each accepted flow
exactly once. Then one scoring worker alone, over a copy of the same input, gives the same
totals, month flows and scores as the two did.

A hazardous-transfer province node runs its two workers as one active and one standby (its
worker cannot be split by partition: see hazardous_transfer.adapters.one_active): manifests
go through every step while one broker is stopped, and each step is recorded exactly once,
with gap-free manifest numbers."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from scale_hazardous import manifests_through, transfer_node
from scale_support import (
    Outcome,
    Poster,
    a_flow,
    api_url,
    base_env,
    process,
    provision_replicated,
    register_cell,
    scoring_worker,
)
from scale_topics import (
    assert_replicated,
    copy_topics,
    counted_totals,
    differences,
    leader_of_first_partition,
    outputs,
    read_all,
    send_poison,
)

from zw_shared.testing.kafka_cluster import KafkaCluster
from zw_shared.testing.processes import ServiceProcess
from zw_shared.topics import (
    CELL_ASSESSMENTS,
    CELL_TOTALS,
    HAZARDOUS_COMMANDS,
    HAZARDOUS_EVENTS,
    WASTE_CELLS,
    WASTE_DEAD_LETTERS,
    WASTE_FACILITIES,
    WASTE_FLOW_EVENTS,
)

# 5.5 minutes with 600 flows at a load average of 50-60 on two cores (the cluster's start
# included); about 3 at a load average of 8.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(720)]

CELL_IDS = [f"cell-{i}" for i in range(6)]
FLOWS = 450
CONCURRENCY = 12
STOP_AFTER = FLOWS // 3  # accepted flows before one broker is stopped
WAIT_S = 120.0
MANIFESTS = 8
INPUTS = (WASTE_FLOW_EVENTS, WASTE_CELLS, WASTE_FACILITIES, CELL_ASSESSMENTS, HAZARDOUS_EVENTS)


@pytest.fixture(scope="module")
def cluster() -> Iterator[KafkaCluster]:
    with KafkaCluster(size=3) as running:
        print(f"3-broker cluster ready in {running.started_in_s:.1f}s")
        yield running


def start_all(processes: list[ServiceProcess], stack: ExitStack) -> None:
    """Starts the processes at once (each waits for its own readiness), then checks every
    one again: a worker joining the group sends the others through a rebalance."""
    with ThreadPoolExecutor(len(processes)) as pool:
        for started in pool.map(ServiceProcess.start, processes):
            stack.callback(started.stop)
    for each in processes:
        each.wait_ready()


async def stream(
    poster: Poster,
    flows: list[dict[str, Any]],
    on_stop: threading.Event,
    stopped: threading.Event,
) -> None:
    """Posts every flow, CONCURRENCY at a time; sets ``on_stop`` after STOP_AFTER accepted,
    and posts the rest once the broker is down (``stopped``): how many are accepted while it
    is down then does not depend on how fast this machine posts while it shuts down."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(len(flows)):
        queue.put_nowait(n)

    async def client() -> None:
        while not queue.empty():
            if on_stop.is_set() and not stopped.is_set():
                await asyncio.to_thread(stopped.wait, WAIT_S)
            n = queue.get_nowait() if not queue.empty() else None
            if n is None:
                return
            await poster.post(n, flows[n])
            if len(poster.outcome.accepted) >= STOP_AFTER:
                on_stop.set()

    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))


def expected_totals(outcome: Outcome) -> dict[str, tuple[int, float]]:
    totals: dict[str, tuple[int, float]] = {}
    for flow in outcome.accepted.values():
        count, kg = totals.get(flow["cell_id"], (0, 0.0))
        totals[flow["cell_id"]] = (count + 1, kg + flow["quantity"])
    return totals


def wait_for(what: str, check: Any, timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s}s"
        time.sleep(1.0)
    return result


def same_within(timeout_s: float, wanted: Any, read: Any) -> Any:
    """Reads until the result equals ``wanted`` or the time is up; returns the last read."""
    deadline = time.monotonic() + timeout_s
    while (found := read()) != wanted and time.monotonic() < deadline:
        time.sleep(1.0)
    return found


def test_two_workers_per_processor_count_every_flow_once_through_a_broker_stop(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    bootstrap, began = cluster.bootstrap_servers, time.monotonic()
    two, one = f"s2{uuid.uuid4().hex[:6]}.", f"s1{uuid.uuid4().hex[:6]}."
    provision_replicated(bootstrap, two)
    assert_replicated(bootstrap, two)
    with ThreadPoolExecutor(1) as restarter:
        expected, victim = stream_through_a_broker_stop(cluster, two, tmp_path, began)
        # The stopped broker comes back while the rest runs (and must catch up).
        restart = restarter.submit(cluster.start_broker, victim)
        by_two = outputs(bootstrap, two)
        by_one = one_worker_over_a_copy(bootstrap, two, one, by_two, tmp_path)
        print(f"one worker done at {time.monotonic() - began:.1f}s")
        restart.result(WAIT_S)
        print(f"broker {victim} back at {time.monotonic() - began:.1f}s")

    assert not differences(by_two, by_one), "\n".join(differences(by_two, by_one)[:20])
    assert {cell: t["event_count"] for cell, t in by_two[CELL_TOTALS.name].items()} == {
        cell: count for cell, (count, _) in expected.items()
    }


def test_a_transfer_node_of_two_workers_records_every_step_once_through_a_broker_stop(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    bootstrap, began = cluster.bootstrap_servers, time.monotonic()
    prefix = f"h2{uuid.uuid4().hex[:6]}."
    provision_replicated(bootstrap, prefix)
    *workers, api = transfer_node(base_env(bootstrap, prefix), prefix, tmp_path)
    victim = leader_of_first_partition(bootstrap, HAZARDOUS_COMMANDS.full_name(prefix))

    async def stop_a_broker() -> None:
        await asyncio.to_thread(cluster.stop_broker, victim)
        print(f"broker {victim} stopped at {time.monotonic() - began:.1f}s")

    with ExitStack() as stack:
        start_all(workers, stack)
        start_all([api], stack)
        print(f"the node's 3 processes ready at {time.monotonic() - began:.1f}s")
        events = HAZARDOUS_EVENTS.full_name(prefix)
        try:
            manifests = asyncio.run(
                manifests_through(api_url(api), bootstrap, events, stop_a_broker, count=MANIFESTS)
            )
        finally:
            cluster.start_broker(victim)
        print(f"{MANIFESTS} manifests processed, broker back at {time.monotonic() - began:.1f}s")

    manifests.assert_every_transition_once()
    serials = sorted(int(no[-6:]) for no in manifests.drafted())
    assert serials == list(range(1, MANIFESTS + 1)), "numbers without a gap"


def stream_through_a_broker_stop(
    cluster: KafkaCluster, prefix: str, tmp_path: Path, began: float
) -> tuple[dict[str, tuple[int, float]], int]:
    """Two intake APIs, two intake workers and two scoring workers; flows posted while one
    broker is stopped. Returns the totals expected from the accepted flows (counted exactly
    by then) and the stopped broker's id."""
    bootstrap = cluster.bootstrap_servers
    env = base_env(bootstrap, prefix)
    apis = [process(f"intake-api-{i}", "waste-intake-api", env, "API_PORT") for i in (1, 2)]
    intake_env = {**env, "INTAKE_APP_ID": f"{prefix}intake"}
    intake_workers = [
        process(f"intake-worker-{i}", "waste-intake-worker", intake_env, "WORKER_WEB_PORT")
        for i in (1, 2)
    ]
    scorers = [scoring_worker(f"scoring-{i}", env, f"{prefix}scoring", tmp_path) for i in (1, 2)]
    with ExitStack() as stack:
        start_all([*apis, *intake_workers, *scorers], stack)
        print(f"6 processes ready at {time.monotonic() - began:.1f}s")
        with httpx.Client(base_url=api_url(apis[0]), timeout=20) as admin_client:
            keys = {f"fac-{cell}": register_cell(admin_client, cell) for cell in CELL_IDS}
        poison = send_poison(bootstrap, WASTE_FLOW_EVENTS.full_name(prefix))
        victim = leader_of_first_partition(bootstrap, WASTE_FLOW_EVENTS.full_name(prefix))
        outcome = post_while_stopping(cluster, victim, [api_url(api) for api in apis], keys)
        expected = expected_totals(outcome)
        wait_for(
            "two scoring workers count every accepted flow",
            lambda: counted_totals(bootstrap, prefix) == expected,
        )
        print(f"counted exactly by two workers at {time.monotonic() - began:.1f}s")
        dead_letters = WASTE_DEAD_LETTERS.full_name(prefix)
        origins = wait_for(
            "the poison record is dead-lettered",
            lambda: {r.key.decode() for r in read_all(bootstrap, [dead_letters])},
        )
        assert origins == {poison}
        with ThreadPoolExecutor(len(scorers)) as pool:  # their outputs are final once stopped
            list(pool.map(ServiceProcess.stop, scorers))
    return expected, victim


def post_while_stopping(
    cluster: KafkaCluster, victim: int, urls: list[str], keys: dict[str, dict[str, str]]
) -> Outcome:
    """Posts every flow, stopping broker ``victim`` once STOP_AFTER were accepted; asserts
    that every flow was accepted, and enough of them while the broker was down."""
    stop_now, stopped, stopped_at = threading.Event(), threading.Event(), [0.0]

    def stop_victim() -> None:
        stop_now.wait(WAIT_S)
        stopping = time.monotonic()
        try:
            cluster.stop_broker(victim)
        finally:
            stopped_at[0] = time.monotonic()
            stopped.set()
        print(f"broker {victim} stopped in {stopped_at[0] - stopping:.1f}s")

    stopper = threading.Thread(target=stop_victim)
    stopper.start()
    poster = Poster(urls, keys, max_attempts=8)
    flows = [a_flow(n, CELL_IDS[n % len(CELL_IDS)]) for n in range(FLOWS)]
    stream_began = time.monotonic()
    asyncio.run(_stream_and_close(poster, flows, stop_now, stopped))
    stopper.join(WAIT_S)
    outcome, stream_s = poster.outcome, time.monotonic() - stream_began
    after_stop = sorted(t for t in outcome.accepted_at if t > stopped_at[0])
    print(
        f"stream: {len(outcome.accepted)} accepted in {stream_s:.1f}s, {outcome.attempts} "
        f"attempts, {len(outcome.failures)} failed (first: {outcome.failures[:2]}); broker "
        f"{victim} stopped after {STOP_AFTER}; accepted while it was down: {len(after_stop)}, "
        f"the first {after_stop[0] - stopped_at[0] if after_stop else float('nan'):.2f}s "
        "after the stop"
    )
    assert set(outcome.accepted) == {flow["event_id"] for flow in flows}
    # The posts in flight when the stop began finish during it; every later one is posted
    # with the broker down.
    refused_while_down = "flows refused while a broker was down"
    assert len(after_stop) >= FLOWS - STOP_AFTER - CONCURRENCY, refused_while_down
    return outcome


def one_worker_over_a_copy(
    bootstrap: str, two: str, one: str, wanted: dict[str, Any], tmp_path: Path
) -> dict[str, Any]:
    """One scoring worker over a copy of the input topics under ``one``: its outputs, read
    until they equal ``wanted`` or the time is up."""
    provision_replicated(bootstrap, one)
    copied = copy_topics(bootstrap, {spec.full_name(two): spec.full_name(one) for spec in INPUTS})
    print(f"{copied} input records copied")
    with scoring_worker("scoring-alone", base_env(bootstrap, one), f"{one}scoring", tmp_path):
        return same_within(WAIT_S, wanted, lambda: outputs(bootstrap, one))


async def _stream_and_close(
    poster: Poster, flows: list[dict[str, Any]], stop: threading.Event, stopped: threading.Event
) -> None:
    try:
        await stream(poster, flows, stop, stopped)
    finally:
        await poster.close()
