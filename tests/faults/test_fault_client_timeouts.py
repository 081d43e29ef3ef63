"""A client that gives up waiting (a 1 ms read timeout: it never sees the answer) and sends
the same event again is counted once: one record on the flow topic, one event in the cell's
totals. Waste-intake and scoring run as processes against the session broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from faults_flows import (
    a_report,
    flow_ids_on_topic,
    scoring_caught_up,
    scoring_client,
    settled_totals,
)
from faults_support import (
    System,
    read_topic,
    register_facility,
    running_system,
    until_answered,
)

pytestmark = pytest.mark.e2e

EVENTS_PER_CELL = 10
# The request is written in full, then the client stops waiting for the answer at once.
IMPATIENT = httpx.Timeout(connect=10, read=0.001, write=10, pool=10)


@pytest.fixture(scope="module")
def system(kafka_bootstrap: str) -> Iterator[System]:
    with running_system(kafka_bootstrap, "intake", "scoring") as running:
        yield running


async def post_impatiently_then_retry(
    system: System, facility: str, headers: dict[str, str], report: dict[str, object]
) -> int:
    """The first POST gives up before the answer; the retry (same event id) waits for it.
    Returns the retry's status."""
    url = f"{system['waste-intake-api'].url}/v1/facilities/{facility}/events"
    async with httpx.AsyncClient(timeout=IMPATIENT) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post(url, json=report, headers=headers)
    async with httpx.AsyncClient(timeout=15) as patient:
        answer, _ = await until_answered(
            lambda: patient.post(url, json=report, headers=headers), time.monotonic() + 60
        )
    return answer.status_code


async def test_a_client_that_gave_up_and_retried_the_same_event_is_counted_once(
    system: System,
) -> None:
    occurred_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    cells = {f"cell-{uuid.uuid4().hex[:8]}": f"fac-{n}-{uuid.uuid4().hex[:6]}" for n in range(2)}
    with httpx.Client(base_url=system["waste-intake-api"].url, timeout=15) as admin:
        keys = {cell: register_facility(admin, fac, cell) for cell, fac in cells.items()}
    reports = {
        cell: [a_report(f"ev-{n}", cell, kg=10 + n, occurred_at=occurred_at)
               for n in range(EVENTS_PER_CELL)]
        for cell in cells
    }  # fmt: skip

    statuses = await asyncio.gather(
        *(
            post_impatiently_then_retry(system, cells[cell], keys[cell], report)
            for cell in cells
            for report in reports[cell]
        )
    )

    assert set(statuses) <= {200, 202}, statuses
    expected_ids = {f"{cells[c]}/{r['event_id']}" for c in cells for r in reports[c]}
    on_topic = Counter(
        i
        for i in flow_ids_on_topic(
            await read_topic(system.bootstrap, system.topic("waste.flow-events.v1"))
        )
        if i in expected_ids
    )
    assert on_topic == Counter(expected_ids), "each event exactly once on the flow topic"
    async with scoring_client(system) as scoring:
        totals = await settled_totals(system, scoring, dict.fromkeys(cells, EVENTS_PER_CELL))
    for cell in cells:
        kg = sum(int(r["quantity"]) for r in reports[cell])
        assert (totals[cell]["event_count"], totals[cell]["total_kg"]) == (EVENTS_PER_CELL, kg)
    await scoring_caught_up(system)  # nothing more to come
