"""When a fault test fails, its report carries what each service of the system logged at
WARNING and above (the tail): the processes' log files do not outlive a CI machine."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Generator
from pathlib import Path

import pytest
from faults_support import RUNNING

from zw_shared.task_dump import MARKER
from zw_shared.testing.log_tail import notable

SHOWN_LINES = 40
DUMP_WAIT_S = 1.5


def _tail(path: str) -> str:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    dump = _task_dump(lines)
    return "\n".join(notable(lines, SHOWN_LINES) + dump) or "(nothing at WARNING or above)"


def _task_dump(lines: list[str]) -> list[str]:
    """The last asyncio task dump a worker logged (see zw_shared.task_dump), whole."""
    begins = [n for n, line in enumerate(lines) if f"{MARKER} (" in line]
    if not begins:
        return []
    dump = lines[begins[-1] :]
    ends = [n for n, line in enumerate(dump) if line.startswith(f"{MARKER} ends")]
    return dump[: ends[0] + 1] if ends else dump


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    # the scoring worker logs its asyncio tasks' stacks (the others would stop on SIGUSR1)
    workers = [
        s.process for s in RUNNING.values() if s.name.startswith("scoring-worker") and s.process
    ]
    for process in workers:
        with contextlib.suppress(OSError, AssertionError):  # gone: its log says why
            os.kill(process.pid, signal.SIGUSR1)
    if workers:
        time.sleep(DUMP_WAIT_S)
    for name, service in RUNNING.items():
        if service.process is not None:
            path = service.process.log_path
            report.sections.append((f"{name} log, last warnings ({path})", _tail(path)))
