"""Waste flows in the fault tests: reports, a steady stream of single POSTs from several
clients (each event retried with its id until taken), what the flow topic holds and what
scoring counted."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from faults_support import (
    Record,
    System,
    await_for,
    read_topic,
    until_answered,
    wait_group_passed,
)

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.testing.identities import official_headers

# --- waste flows: what was accepted, what is on the topic, what scoring counted ------------


def a_report(event_id: str, cell_id: str, kg: int, occurred_at: str) -> dict[str, Any]:
    """A waste-flow report of whole kilograms, so that sums compare exactly."""
    return {"event_id": event_id, "cell_id": cell_id, "stage": "generated",
            "category": "household_wet", "quantity": kg, "unit": "kg",
            "occurred_at": occurred_at}  # fmt: skip


def flow_ids_on_topic(records: list[Record]) -> list[str]:
    """The CloudEvents ids (``facility_id/event_id``) of the readable records."""
    ids = []
    for record in records:
        try:
            ids.append(CloudEvent.from_bytes(record.value or b"").id)
        except ValueError:  # another test's poison on the shared topic
            continue
    return ids


def scoring_client(system: System) -> httpx.AsyncClient:
    """The scoring API, read as an official of Shanghai."""
    return httpx.AsyncClient(
        base_url=system["scoring-api"].url, timeout=15, headers=official_headers("31")
    )


async def totals_of(scoring: httpx.AsyncClient, cell_id: str) -> dict[str, Any]:
    answer = await scoring.get(f"/v1/cells/{cell_id}/totals")
    return answer.json() if answer.status_code == 200 else {"event_count": 0}


async def settled_totals(
    system: System, scoring: httpx.AsyncClient, cells: dict[str, int], timeout_s: float = 90
) -> dict[str, dict[str, Any]]:
    """Each cell's totals as the scoring API serves them, once scoring counted at least
    ``cells[cell]`` events and the API shows the worker's latest totals of the cell. (A
    count above the expected one is a double count; :func:`scoring_caught_up` then proves
    that nothing more is coming.)"""
    for cell, count in cells.items():
        try:
            await totals_when(scoring, cell, partial(_counted, count), timeout_s)
        except AssertionError:
            counted = (await totals_of(scoring, cell))["event_count"]
            raise AssertionError(
                f"scoring counted {counted} of the {count} events accepted for {cell} "
                f"within {timeout_s}s"
            ) from None
    latest = await latest_totals(system, set(cells))
    return {
        cell: await totals_when(scoring, cell, partial(_same, latest[cell]), timeout_s)
        for cell in cells
    }


def _counted(events: int, totals: dict[str, Any]) -> bool:
    return int(totals["event_count"]) >= events


async def scoring_caught_up(system: System, timeout_s: float = 90) -> None:
    """The scoring worker committed past every record on the flow topic: it consumed them
    all, and nothing it has not counted yet is still to come."""
    flows = await read_topic(system.bootstrap, system.topic("waste.flow-events.v1"))
    await wait_group_passed(system.bootstrap, system.scoring_group, flows, timeout_s)


async def totals_when(
    scoring: httpx.AsyncClient,
    cell_id: str,
    until: Callable[[dict[str, Any]], bool],
    timeout_s: float,
) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        return await totals_of(scoring, cell_id)

    return await await_for(read, until, timeout_s)


async def latest_totals(system: System, cells: set[str]) -> dict[str, dict[str, Any]]:
    """The worker's last published totals of each cell (the compacted totals topic)."""
    latest: dict[str, dict[str, Any]] = {}
    for record in await read_topic(system.bootstrap, system.topic("scoring.cell-totals.v1")):
        cell = (record.key or b"").decode()
        if cell in cells and record.value:
            latest[cell] = CloudEvent.from_bytes(record.value).data
    return latest


def _same(published: dict[str, Any], served: dict[str, Any]) -> bool:
    fields = ("event_count", "total_kg")
    return all(served.get(f) == published.get(f) for f in fields)


# --- a steady stream of POSTs from several clients ----------------------------------------


@dataclass
class Stream:
    """What the clients were told: every accepted event id with its cell and kg."""

    accepted: dict[str, tuple[str, int]] = field(default_factory=dict)
    retries: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def count(self) -> int:
        return len(self.accepted)

    def cells(self) -> dict[str, int]:
        return dict(Counter(cell for cell, _ in self.accepted.values()))

    def kg(self, cell: str) -> int:
        return sum(kg for c, kg in self.accepted.values() if c == cell)


async def post_until_stopped(
    system: System, stream: Stream, n: int, facility: str, cell: str, headers: dict[str, str]
) -> None:
    """Posts one event after another until told to stop; each until it is taken."""
    occurred_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    url = f"{system['waste-intake-api'].url}/v1/facilities/{facility}/events"
    async with httpx.AsyncClient(timeout=10) as http:
        seq = 0
        while not stream.stop.is_set():
            seq += 1
            report = a_report(f"ev-{n}-{seq}", cell, kg=1 + seq % 50, occurred_at=occurred_at)
            answer, attempts = await until_answered(
                lambda r=report: http.post(url, json=r, headers=headers),  # type: ignore[misc]
                time.monotonic() + 120,
            )
            assert answer.status_code in (200, 202), answer.text
            stream.retries += attempts - 1
            stream.accepted[f"{facility}/{report['event_id']}"] = (cell, int(report["quantity"]))


async def until_count(stream: Stream, count: int, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while stream.count() < count:
        assert time.monotonic() < deadline, f"only {stream.count()} of {count} accepted"
        await asyncio.sleep(0.05)
