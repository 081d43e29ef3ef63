"""Province nodes of hazardous-transfer run as deployed (API and worker processes each),
and small helpers to act at them as a given party."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from zw_shared.testing.identities import actor_headers
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess


@dataclass
class Node:
    name: str
    provinces: str
    env: dict[str, str]
    api_port: int = field(default_factory=free_port)
    worker_port: int = field(default_factory=free_port)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def worker_url(self) -> str:
        return f"http://127.0.0.1:{self.worker_port}"

    def worker_process(self) -> ServiceProcess:
        env = {**self.env, "WORKER_WEB_PORT": str(self.worker_port),
               "WORKER_WEB_HOST": "127.0.0.1"}  # fmt: skip
        return ServiceProcess(["hazardous-transfer-worker"], env, f"{self.worker_url}/readyz",
                              ready_timeout_s=90, name=f"{self.name}-worker")  # fmt: skip

    def api_process(self) -> ServiceProcess:
        env = {**self.env, "API_PORT": str(self.api_port), "WORKER_URL": self.worker_url}
        return ServiceProcess(["hazardous-transfer-api"], env, f"{self.api_url}/readyz",
                              ready_timeout_s=60, name=f"{self.name}-api")  # fmt: skip

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, timeout=30)


def node(name: str, provinces: str, bootstrap: str, prefix: str, **extra: str) -> Node:
    env = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": prefix,
        "API_HOST": "127.0.0.1",
        "NODE_ID": name,
        "SERVED_PROVINCES": provinces,
        "HAZARDOUS_APP_ID": f"{prefix}hazardous-{name}",
        "COMMAND_TIMEOUT_S": "20",
        **extra,
    }
    return Node(name, provinces, env)


class Running:
    """Started processes, each stopped at the end even if it never became ready."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self.processes: dict[str, ServiceProcess] = {}

    def start(self, key: str, process: ServiceProcess) -> ServiceProcess:
        self._stack.callback(process.stop)
        self.processes[key] = process.start()
        return process


@contextmanager
def running(*nodes: Node) -> Iterator[Running]:
    with ExitStack() as stack:
        run = Running(stack)
        for n in nodes:
            run.start(f"{n.name}-worker", n.worker_process())
        for n in nodes:
            run.start(f"{n.name}-api", n.api_process())
        yield run


def headers(actor: str, role: str, province: str | None = None, **extra: str) -> dict[str, str]:
    return actor_headers(actor, role, province, **extra)


def wait_for(read: Callable[[], Any], until: Callable[[Any], bool], timeout_s: float = 30.0) -> Any:
    """Polls ``read`` until ``until`` holds for its value; returns the value."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s; last value: {value}")
        time.sleep(0.2)
        value = read()
    return value
