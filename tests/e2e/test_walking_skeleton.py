"""One waste event flows from an HTTP POST through Kafka into a cell total that an HTTP GET
returns, with every service running as its own process against the real broker."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from tests.e2e.stack import Stack, register_facility


def a_report(cell_id: str, **overrides: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "event_id": f"ev-{uuid.uuid4().hex[:12]}",
        "cell_id": cell_id,
        "stage": "generated",
        "category": "household_wet",
        "quantity": 1.25,
        "unit": "t",
        "occurred_at": "2026-11-20T09:30:00+08:00",
    }
    return {**report, **overrides}


def post(stack: Stack, facility_id: str, report: dict[str, Any]) -> httpx.Response:
    headers = register_facility(stack.intake, facility_id, report["cell_id"])
    return stack.intake.post(f"/v1/facilities/{facility_id}/events", json=report, headers=headers)


def totals_once_counted(stack: Stack, cell_id: str, events: int) -> dict[str, Any]:
    """Polls the scoring API (bounded) until the cell has counted ``events`` events."""
    deadline = time.monotonic() + 45
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        last = stack.scoring.get(f"/v1/cells/{cell_id}/totals")
        if last.status_code == 200 and last.json()["event_count"] >= events:
            body: dict[str, Any] = last.json()
            return body
        time.sleep(0.2)
    raise AssertionError(
        f"cell {cell_id} never counted {events} events; last answer: "
        f"{None if last is None else (last.status_code, last.text)}"
    )


def test_a_posted_event_is_counted_in_its_cells_total(stack: Stack) -> None:
    cell = f"cell-{uuid.uuid4().hex[:8]}"

    accepted = post(stack, f"fac-canteen-{cell}", a_report(cell, quantity=1.25, unit="t"))

    assert accepted.status_code == 202, accepted.text
    totals = totals_once_counted(stack, cell, events=1)
    assert totals["total_kg"] == 1250.0
    assert totals["kg_by_category"] == {"household_wet": 1250.0}
    assert totals["kg_by_stage"] == {"generated": 1250.0}


def test_the_same_event_id_posted_twice_is_counted_once(stack: Stack) -> None:
    cell = f"cell-{uuid.uuid4().hex[:8]}"
    report = a_report(cell, quantity=300, unit="kg")

    facility = f"fac-hotel-{cell}"
    first = post(stack, facility, report)
    second = post(stack, facility, report)
    # A later, different event: once it is counted, everything before it has been too.
    marker = post(stack, facility, a_report(cell, quantity=20, unit="kg"))

    assert first.status_code == 202, first.text
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "duplicate"
    assert second.json()["offset"] == first.json()["offset"]
    assert marker.status_code == 202, marker.text
    totals = totals_once_counted(stack, cell, events=2)
    assert totals["event_count"] == 2
    assert totals["total_kg"] == 320.0


def test_a_cell_nobody_reported_for_is_not_found(stack: Stack) -> None:
    answer = stack.scoring.get("/v1/cells/cell-never-seen/totals")

    assert answer.status_code == 404
    assert "cell-never-seen" in answer.json()["detail"]
