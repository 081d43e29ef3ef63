"""The compose stack of docker-compose.yml, started by the project's own scripts for one test
module: deploy/build-images.sh (cached layers make it quick when nothing changed), then
deploy/compose-up.sh under a compose project name of its own and free host ports, so that
it runs beside any other stack on the machine; deploy/compose-down.sh -v removes its
containers, network and volumes, whatever happened in between."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
HOST_PORT = re.compile(r"\$\{([A-Z_]+_HOST_PORT):-\d+\}")
BUILD_TIMEOUT_S = 1200  # a fresh machine builds every image (~2 min measured, more under load)
UP_TIMEOUT_S = 900
DOWN_TIMEOUT_S = 300
T = TypeVar("T")


@dataclass
class ComposeStack:
    project: str
    env: dict[str, str]
    timings_s: dict[str, float] = field(default_factory=dict)

    def url(self, port_variable: str) -> str:
        return f"http://127.0.0.1:{self.env[port_variable]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stack_env(project: str) -> dict[str, str]:
    """The environment of the scripts: the project name, a free host port for every port
    the compose file publishes, and a log of its own."""
    ports = sorted(set(HOST_PORT.findall((ROOT / "docker-compose.yml").read_text())))
    return {
        **os.environ,
        "COMPOSE_PROJECT_NAME": project,
        "ZW_COMPOSE_LOG": f"/var/tmp/{project}-compose-up.log",
        "ZW_BUILD_DIR": f"/var/tmp/{project}-build",  # not shared with another build
        "ZW_WAIT_S": os.environ.get("ZW_WAIT_S", "600"),  # per stage; a loaded machine is slow
        **{name: str(free_port()) for name in ports},
    }


def _script(stack: ComposeStack, label: str, argv: list[str], timeout_s: float) -> None:
    began = time.monotonic()
    done = subprocess.run(
        argv,
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    stack.timings_s[label] = round(time.monotonic() - began, 1)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {done.returncode} after {stack.timings_s[label]}s:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
        )


@contextmanager
def running_stack(extra_env: dict[str, str]) -> Iterator[ComposeStack]:
    """Builds the images, starts the stack and yields it; always takes it down again."""
    project = f"zwday{uuid.uuid4().hex[:8]}"
    stack = ComposeStack(project, {**stack_env(project), **extra_env})
    try:
        _script(stack, "build_images", ["bash", "deploy/build-images.sh"], BUILD_TIMEOUT_S)
        stack.env["ZW_SKIP_BUILD"] = "1"  # built just now, timed on its own
        _script(stack, "compose_up", ["bash", "deploy/compose-up.sh"], UP_TIMEOUT_S)
        yield stack
        Path(stack.env["ZW_COMPOSE_LOG"]).unlink(missing_ok=True)  # kept when the start failed
    finally:
        _script(stack, "compose_down", ["bash", "deploy/compose-down.sh", "-v"], DOWN_TIMEOUT_S)
        shutil.rmtree(stack.env["ZW_BUILD_DIR"], ignore_errors=True)


def poll(what: str, probe: Callable[[], tuple[bool, T]], timeout_s: float) -> T:
    """Calls ``probe`` until it reports done (bounded); returns its last result."""
    deadline = time.monotonic() + timeout_s
    while True:
        done, result = probe()
        if done:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s:.0f}s; last: {result}")
        time.sleep(1.0)


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """The keys whose values differ (floats compared to a microgram)."""
    found = {}
    for key in expected.keys() | actual.keys():
        want, got = expected.get(key), actual.get(key)
        if isinstance(want, float) and isinstance(got, (int, float)):
            same = abs(want - got) <= 1e-6
        else:
            same = want == got
        if not same:
            found[key] = {"expected": want, "actual": got}
    return found
