"""On SIGUSR1, a running worker logs the stack of every asyncio task it has: what each agent,
timer and background task is waiting on. For a worker that has stopped making progress
without an error (``kill -USR1 <pid>``, then read its log)."""

from __future__ import annotations

import asyncio
import io
import logging
import signal
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
MARKER = "asyncio task dump"
# More state to log with the tasks (e.g. a consumer's offsets): each returns lines.
REPORTERS: list[Callable[[], list[str]]] = []


def install(loop: asyncio.AbstractEventLoop) -> None:
    """Logs every task's stack on SIGUSR1 (Unix only; a no-op elsewhere)."""
    if hasattr(signal, "SIGUSR1"):
        loop.add_signal_handler(signal.SIGUSR1, dump)


def dump() -> None:
    tasks = asyncio.all_tasks()
    out = io.StringIO()
    for task in sorted(tasks, key=lambda t: t.get_name()):
        out.write(f"--- {task.get_name()}\n")
        for line in awaiting(task.get_coro()):
            out.write(f"    {line}\n")
    for report in REPORTERS:
        try:
            for line in report():
                out.write(f"state: {line}\n")
        except Exception as exc:  # a dump must never fail on a reporter
            out.write(f"state: {report!r} failed: {exc!r}\n")
    log.warning("%s (%d tasks) begins\n%s%s ends", MARKER, len(tasks), out.getvalue(), MARKER)


def awaiting(coro: Any, depth: int = 40) -> list[str]:
    """Where a suspended coroutine is, through everything it awaits (outermost first)."""
    lines: list[str] = []
    while coro is not None and len(lines) < depth:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        frame = frame or getattr(coro, "ag_frame", None)
        if frame is not None:
            code = frame.f_code
            lines.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        else:
            lines.append(repr(coro)[:200])
        awaited = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        coro = awaited or getattr(coro, "ag_await", None)
    return lines
