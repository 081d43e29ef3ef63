"""Support of the fault tests: the services as deployed (each a process started from its
console script) on one topic prefix, clients that retry with the same ids until they get an
answer, and readers that take records back off the broker (read_committed)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeAlias, TypeVar

import httpx
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from zw_shared.testing.identities import use_test_secret
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.testing.scoring_stack import provision
from zw_shared.testing.topic_reader import read_committed

log = logging.getLogger(__name__)
# The services of the running system, for conftest to show their logs when a test fails.
RUNNING: dict[str, Service] = {}
# The services started here inherit it; identity headers built after this import are signed
# with it.
use_test_secret()
T = TypeVar("T")
Record: TypeAlias = ConsumerRecord  # aiokafka has no type hints
ADMIN_TOKEN = f"faults-{uuid.uuid4().hex}"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# What a client retries: the write was not taken (503), or the answer never came back.
RETRIED_STATUS = frozenset({502, 503, 504})
RETRIED_ERRORS = (httpx.TransportError,)


@dataclass
class Service:
    """One deployed process: its command, environment and ports; restartable."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready_path: str = "/readyz"
    process: ServiceProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        self.process = ServiceProcess(
            self.argv, self.env, f"{self.url}{self.ready_path}", ready_timeout_s=120, name=self.name
        )
        return self.process.start()

    def kill(self) -> None:
        """SIGKILL, as a crash: no clean shutdown, no last offset commit."""
        assert self.process is not None
        self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@dataclass
class System:
    bootstrap: str
    prefix: str
    services: dict[str, Service] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def scoring_group(self) -> str:
        return self["scoring-worker"].env["SCORING_APP_ID"]

    @property
    def hazardous_group(self) -> str:
        return self["hazardous-worker"].env["HAZARDOUS_APP_ID"]

    @property
    def intake_worker_group(self) -> str:
        return f"{self['waste-intake-worker'].env['INTAKE_APP_ID']}-dead-letters"


def base_env(bootstrap: str, prefix: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": prefix,
        "API_HOST": "127.0.0.1",
        "WORKER_WEB_HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO",
    }


def intake_services(env: dict[str, str], prefix: str, **extra: str) -> list[Service]:
    intake = {**env, "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN, "INTAKE_APP_ID": f"{prefix}intake"}
    api, worker = free_port(), free_port()
    return [
        Service("waste-intake-api", ["waste-intake-api"],
                {**intake, "API_PORT": str(api), "API_ACCESS_LOG": "false", **extra}, api),
        Service("waste-intake-worker", ["waste-intake-worker"],
                {**intake, "WORKER_WEB_PORT": str(worker)}, worker),
    ]  # fmt: skip


def scoring_services(env: dict[str, str], prefix: str, workers: int = 1) -> list[Service]:
    """The scoring API and its workers (``scoring-worker``, ``scoring-worker-2``, ...: one
    consumer group, sharing the partitions)."""
    scoring = {
        **env,
        "SCORING_APP_ID": f"{prefix}scoring",
        "WORKER_STREAM_RECOVERY_DELAY_S": "0",
        # the broker's minimum: a killed worker's partitions move on after this
        "WORKER_SESSION_TIMEOUT_S": "6",
        "WORKER_HEARTBEAT_INTERVAL_S": "1",
    }
    services = []
    for n in range(1, workers + 1):
        name, port = ("scoring-worker" if n == 1 else f"scoring-worker-{n}"), free_port()
        own = {
            "WORKER_WEB_PORT": str(port),
            "WORKER_DATA_DIR": f"/tmp/zw-faults/{prefix}scoring-{n}",
        }
        services.append(Service(name, ["scoring-worker"], {**scoring, **own}, port))
    api = free_port()
    return [
        *services,
        Service("scoring-api", ["scoring-api"], {**scoring, "API_PORT": str(api)}, api),
    ]


def hazardous_services(env: dict[str, str], prefix: str, workers: int = 1) -> list[Service]:
    """One province node serving Jiangsu (32) and Shanghai (31): every step of a manifest
    from Jiangsu to Shanghai is decided by its active worker. With ``workers`` > 1 the
    others (``hazardous-worker-2``, ...) are its standbys; the API knows them all."""
    node = {
        **env,
        "NODE_ID": "faults",
        "SERVED_PROVINCES": "31,32",
        "HAZARDOUS_APP_ID": f"{prefix}hazardous",
        "COMMAND_TIMEOUT_S": "4",
        "WORKER_SESSION_TIMEOUT_S": "6",
        "WORKER_LOG_LEVEL": "warning",
    }
    services = []
    for n in range(1, workers + 1):
        name = "hazardous-worker" if n == 1 else f"hazardous-worker-{n}"
        port = free_port()
        services.append(Service(name, ["hazardous-transfer-worker"], {
            **node, "WORKER_WEB_PORT": str(port),
            "WORKER_DATA_DIR": f"/tmp/zw-faults/{prefix}hazardous-{n}",
        }, port))  # fmt: skip
    api = free_port()
    urls = ",".join(worker.url for worker in services)
    return [
        *services,
        Service(
            "hazardous-api",
            ["hazardous-transfer-api"],
            {**node, "API_PORT": str(api), "WORKER_URL": urls},
            api,
        ),
    ]


@contextmanager
def running_system(
    bootstrap: str, *groups: str, scoring_env: dict[str, str] | None = None, **intake_extra: str
) -> Iterator[System]:
    """Provisions a fresh prefix and starts the named groups of services (``intake``,
    ``scoring``, ``hazardous``, or ``scoring-pair`` and ``hazardous-pair``: two workers), workers
    first, in parallel; stops all on exit. ``intake_extra`` goes to the intake API's
    environment, ``scoring_env`` to the scoring services'."""
    prefix = provision(bootstrap, f"f{uuid.uuid4().hex[:8]}.")
    env = base_env(bootstrap, prefix)
    makers: dict[str, Callable[[], list[Service]]] = {
        "intake": lambda: intake_services(env, prefix, **intake_extra),
        "scoring": lambda: scoring_services({**env, **(scoring_env or {})}, prefix),
        "hazardous": lambda: hazardous_services(env, prefix),
        "hazardous-pair": lambda: hazardous_services(env, prefix, workers=2),
        "scoring-pair": lambda: scoring_services(env, prefix, workers=2),
    }
    system = System(bootstrap, prefix)
    for group in groups:
        system.services.update({s.name: s for s in makers[group]()})
    RUNNING.clear()
    RUNNING.update(system.services)
    try:
        workers = [s for s in system.services.values() if "worker" in s.name]
        apis = [s for s in system.services.values() if "worker" not in s.name]
        for wave in (workers, apis):
            with ThreadPoolExecutor(len(wave) or 1) as pool:
                list(pool.map(Service.start, wave))
        for s in system.services.values():
            assert s.process is not None
            log.warning("%s at %s (log %s)", s.name, s.url, s.process.log_path)
        yield system
    finally:
        for service in system.services.values():
            service.stop()
        RUNNING.clear()


# --- clients that retry -------------------------------------------------------------------


async def until_answered(
    send: Callable[[], Awaitable[httpx.Response]], deadline: float
) -> tuple[httpx.Response, int]:
    """Sends (the same request) until the answer is neither 5xx-retry nor a lost answer;
    returns the answer and how many attempts it took."""
    attempts = 0
    while True:
        attempts += 1
        try:
            answer = await send()
        except RETRIED_ERRORS:
            answer = None
        if answer is not None and answer.status_code not in RETRIED_STATUS:
            return answer, attempts
        if time.monotonic() > deadline:
            last = "no answer" if answer is None else f"{answer.status_code} {answer.text}"
            raise AssertionError(f"still not answered after {attempts} attempts: {last}")
        await asyncio.sleep(0.1 if answer is None else 0.25)


def register_facility(intake: httpx.Client, facility_id: str, cell_id: str) -> dict[str, str]:
    """Registers a campus cell and one generator in it; returns the facility's headers."""
    cell = {"cell_id": cell_id, "name": cell_id, "cell_type": "campus", "district": "Xuhui",
            "population": 1000}  # fmt: skip
    answer = intake.put(f"/v1/admin/cells/{cell_id}", json=cell, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    facility = {"facility_id": facility_id, "name": facility_id, "facility_type": "generator",
                "district": "Xuhui", "province": "31", "cell_id": cell_id}  # fmt: skip
    path = f"/v1/admin/facilities/{facility_id}"
    answer = intake.put(path, json=facility, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    key = intake.post(f"{path}/api-keys", headers=ADMIN)
    assert key.status_code == 201, key.text
    return {"Authorization": f"Bearer {key.json()['api_key']}"}


# --- waiting and reading back ---------------------------------------------------------------


def wait_for(read: Callable[[], T], until: Callable[[T], bool], timeout_s: float = 60.0) -> T:
    """Polls ``read`` until ``until`` holds for its value; returns the value."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s; last value: {value}")
        time.sleep(0.25)
        value = read()
    return value


async def await_for(
    read: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout_s: float = 60.0
) -> T:
    deadline = time.monotonic() + timeout_s
    value = await read()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s; last value: {value}")
        await asyncio.sleep(0.25)
        value = await read()
    return value


async def read_topic(bootstrap: str, topic: str, timeout_s: float = 60.0) -> list[Record]:
    """Every committed record on ``topic`` now, from the beginning to the end offsets."""
    return await read_committed(bootstrap, topic, timeout_s)


async def committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The group's committed offsets, by partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items()}


async def wait_group_passed(
    bootstrap: str, group: str, records: list[Record], timeout_s: float = 60.0
) -> None:
    """Waits until ``group`` committed past every one of ``records``: it consumed them all
    (its commit is the last record's offset + 1; transaction markers may follow)."""
    needed: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        needed[tp] = max(needed.get(tp, 0), r.offset + 1)

    def passed(offsets: dict[TopicPartition, int]) -> bool:
        return all(offsets.get(tp, -1) >= end for tp, end in needed.items())

    async def read() -> dict[TopicPartition, int]:
        return await committed(bootstrap, group)

    try:
        await await_for(read, passed, timeout_s)
    except AssertionError:
        offsets = await read()
        short = {f"{tp.topic}/{tp.partition}": (offsets.get(tp), end)
                 for tp, end in needed.items() if offsets.get(tp, -1) < end}  # fmt: skip
        raise AssertionError(
            f"group {group} did not commit past the records it was given within {timeout_s}s "
            f"(partition: (committed, needed)): {short}"
        ) from None
