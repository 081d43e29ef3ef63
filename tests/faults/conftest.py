"""When a fault test fails, its report carries what each service of the system logged at
WARNING and above (the tail): the processes' log files do not outlive a CI machine."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest
from faults_support import RUNNING

SHOWN_LINES = 40
LEVELS = ("[WARNING]", "[ERROR]", "[CRITICAL]", " WARNING ", " ERROR ", " CRITICAL ", "Traceback")


def _tail(path: str) -> str:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    notable = [line[:400] for line in lines if any(level in line for level in LEVELS)]
    return "\n".join(notable[-SHOWN_LINES:]) or "(nothing at WARNING or above)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name, service in RUNNING.items():
        if service.process is not None:
            path = service.process.log_path
            report.sections.append((f"{name} log, last warnings ({path})", _tail(path)))
