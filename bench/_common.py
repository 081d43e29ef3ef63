"""What the benchmarks share: a cheap keep-alive HTTP client, paced single POSTs to one cell
per connection with a poller that sees when each is counted by the scoring API, the intake
registrations they need, percentiles and the resident memory of a service process.

Not a benchmark itself: imported by the files next to it (``python bench/NAME.py`` puts this
folder on the import path).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
PROBE_POLL_S = 0.02


class Http:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams to 127.0.0.1. httpx spends
    more CPU per request than the servers under test do (measured: ~1.6 ms at 8 connections,
    ~5 ms at 32, against ~0.8 ms of intake server CPU), so with httpx a benchmark would
    measure its own client. This one costs tens of microseconds per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._io: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        auth: str = "",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """The status and body of one exchange (any status)."""
        if self._io is None:
            self._io = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._io
        head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(body)}\r\n"
        if auth:
            head += f"Authorization: Bearer {auth}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        writer.write(head.encode() + b"\r\n" + body)
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await reader.readexactly(length)

    async def call(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        auth: str = "",
        headers: dict[str, str] | None = None,
    ) -> bytes:
        """The body of a success; b"" for a GET answered 404; raises on any other status."""
        status, answer = await self.request(method, path, body, auth, headers)
        if status >= 300 and not (method == "GET" and status == 404):
            raise RuntimeError(f"{method} {path} answered {status}: {answer[:300]!r}")
        return answer if status < 300 else b""

    async def close(self) -> None:
        if self._io is not None:
            self._io[1].close()


REPORT_AGE = timedelta(minutes=30)  # how long before its POST a reported flow occurred


def report(i: int, prefix: str) -> dict[str, Any]:
    """The body of one waste-flow POST (event id ``prefix-i``)."""
    when = datetime.now(UTC) - REPORT_AGE
    return {"event_id": f"{prefix}-{i}", "stage": "generated", "category": "household_wet",
            "quantity": 10 + i % 50, "unit": "kg", "occurred_at": when.isoformat()}  # fmt: skip


def report_month(zone: str = "Asia/Shanghai") -> str:
    """The month (``2026-12``, the scoring service's calendar) the flows reported now
    occurred in."""
    return (datetime.now(UTC) - REPORT_AGE).astimezone(ZoneInfo(zone)).strftime("%Y-%m")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Lane:
    """One cell, its facility and key; the start time of its k-th POST at [k - 1], when its
    answer came, and when the scoring API first counted it."""

    cell_id: str
    facility_id: str
    key: str
    posted: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    visible: list[float] = field(default_factory=list)  # in the cell's totals
    scored: list[float] = field(default_factory=list)  # in the cell's score


def register_lanes(intake_url: str, count: int, run_id: str) -> list[Lane]:
    """``count`` cells with one facility each, registered through the intake admin API."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    lanes = []
    with httpx.Client(base_url=intake_url, headers=admin, timeout=30) as client:
        for i in range(count):
            cell_id, facility_id = f"lat-{run_id}-{i}", f"lat-fac-{run_id}-{i}"
            client.put(f"/v1/admin/cells/{cell_id}", json={
                "cell_id": cell_id, "name": f"Latency {i}", "cell_type": "community",
                "district": "Xuhui", "population": 1000,
            }).raise_for_status()  # fmt: skip
            client.put(f"/v1/admin/facilities/{facility_id}", json={
                "facility_id": facility_id, "name": f"Latency {i}", "facility_type": "generator",
                "district": "Xuhui", "province": "31", "cell_id": cell_id,
            }).raise_for_status()  # fmt: skip
            issued = client.post(f"/v1/admin/facilities/{facility_id}/api-keys")
            issued.raise_for_status()
            lanes.append(Lane(cell_id, facility_id, str(issued.json()["api_key"])))
    return lanes


Act = Callable[[Http, int], Awaitable[None]]


async def paced(
    port: int, interval_s: float, window: tuple[float, float], act: Act, cut: bool = False
) -> None:
    """``act(http, k)`` due at ``start + k * interval_s`` until the window's end, one after
    the other on one connection. One that is late runs at once: the schedule does not slip,
    so a server that falls behind gets the missed requests back to back; with ``cut`` those
    still due when the window has closed are not sent."""
    start, until = window
    http = Http(port)
    try:
        k = 0
        while (due := start + k * interval_s) < until:
            if cut and time.perf_counter() >= until:
                return
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            await act(http, k)
            k += 1
    finally:
        await http.close()


async def post_lane(
    port: int,
    lane: Lane,
    interval_s: float,
    until: float,
    start: float,
    cut: bool = False,
    batch: int = 1,
) -> None:
    """POSTs to the lane's facility, one every ``interval_s`` from ``start`` (see
    :func:`paced` for ``cut``): single flows, or with ``batch`` > 1 that many flows a POST
    (``/batch``, a JSON array); each flow's post time is its POST's start."""
    path = f"/v1/facilities/{lane.facility_id}/events" + ("" if batch == 1 else "/batch")
    prefix = f"lat{batch}"

    async def post(http: Http, k: int) -> None:
        if batch == 1:
            body = json.dumps(report(k, prefix)).encode()
        else:
            body = json.dumps([report(k * batch + j, prefix) for j in range(batch)]).encode()
        began = time.perf_counter()
        lane.posted.extend([began] * batch)
        await http.call("POST", path, body, lane.key)
        lane.answered.extend([time.perf_counter()] * batch)

    await paced(port, interval_s, (start, until), post, cut)


async def poll_lane(
    port: int,
    lane: Lane,
    done: asyncio.Event,
    every_s: float = PROBE_POLL_S,
    headers: dict[str, str] | None = None,
    score_period: str | None = None,
) -> None:
    """Reads the lane's cell totals from the scoring API every ``every_s``: the k-th POST is
    visible at the first answer with ``event_count >= k`` (``lane.visible``). With
    ``score_period`` (the month the lane's flows occurred in, e.g. ``2026-12``), reads the
    cell's score for it instead: the k-th POST is scored at the first score that counts
    ``flow_events >= k`` (``lane.scored``). Returns once ``done`` is set and every POST was
    seen."""
    if score_period is None:
        path, count_field, seen = f"/v1/cells/{lane.cell_id}/totals", "event_count", lane.visible
    else:
        path = f"/v1/cells/{lane.cell_id}/scores/{score_period}"
        count_field, seen = "flow_events", lane.scored
    http = Http(port)
    try:
        while True:
            answer = await http.call("GET", path, headers=headers)
            seen_at = time.perf_counter()
            count = json.loads(answer)[count_field] if answer else 0
            while len(seen) < min(count, len(lane.posted)):
                seen.append(seen_at)
            if done.is_set() and len(seen) >= len(lane.posted):
                return
            await asyncio.sleep(every_s)
    finally:
        await http.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (a server may fork workers)."""
    total = rss_mb(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        if children.exists():
            total += sum(tree_rss_mb(int(child)) for child in children.read_text().split())
    return total
