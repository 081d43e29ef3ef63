"""Support of the waste-intake integration tests: the API in-process (lifespan and all)
against a real broker, a reader that takes every record back off a topic, data builders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from waste_intake.bootstrap import build_api_deps
from waste_intake.entrypoints.api import create_app
from waste_intake.settings import IntakeSettings
from zw_shared.testing.topic_reader import read_committed

ReadTopic = Callable[[str], Awaitable[list[Any]]]
ADMIN_TOKEN = "integration-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def intake_settings(bootstrap: str, prefix: str, **overrides: Any) -> IntakeSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": bootstrap,
        "topic_prefix": prefix,
        "publish_timeout_s": 3.0,
        "intake_admin_token": ADMIN_TOKEN,
    }
    return IntakeSettings(**{**values, **overrides})


@asynccontextmanager
async def running_intake(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The API with its lifespan started, ready (broker connected), behind an httpx client."""
    app = create_app(build_api_deps(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            await _wait_ready(client)
            yield client


async def _wait_ready(client: httpx.AsyncClient, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "waste-intake API never became ready"
        await asyncio.sleep(0.1)


async def read_all(bootstrap: str, topic: str, timeout_s: float = 30.0) -> list[Any]:
    """Every record on ``topic`` now, from the beginning to the end offsets."""
    return await read_committed(bootstrap, topic, timeout_s)


def a_cell(cell_id: str = "cell-campus-01", **overrides: Any) -> dict[str, Any]:
    cell = {
        "cell_id": cell_id,
        "name": "Xuhui No. 2 Middle School",
        "cell_type": "campus",
        "district": "Xuhui",
        "population": 1800,
    }
    return {**cell, **overrides}


def a_facility(
    facility_id: str = "fac-01", cell_id: str = "cell-campus-01", **overrides: Any
) -> dict[str, Any]:
    facility = {
        "facility_id": facility_id,
        "name": f"Facility {facility_id}",
        "facility_type": "generator",
        "district": "Xuhui",
        "province": "31",
        "cell_id": cell_id,
        "licences": [],
    }
    return {**facility, **overrides}


async def register(client: httpx.AsyncClient, facility: dict[str, Any]) -> dict[str, str]:
    """Registers the facility (and its cell if new); returns the headers its key signs."""
    cell_id = facility["cell_id"]
    if (await client.get(f"/v1/admin/cells/{cell_id}", headers=ADMIN)).status_code == 404:
        put = await client.put(f"/v1/admin/cells/{cell_id}", json=a_cell(cell_id), headers=ADMIN)
        assert put.status_code == 200, put.text
    path = f"/v1/admin/facilities/{facility['facility_id']}"
    assert (await client.put(path, json=facility, headers=ADMIN)).status_code == 200
    issued = await client.post(f"{path}/api-keys", headers=ADMIN)
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['api_key']}"}


def a_report(**overrides: Any) -> dict[str, Any]:
    """A valid waste-flow report, as JSON, dated an hour ago; override any field. Two calls
    differ in ``occurred_at``: a test that repeats a report reuses one."""
    report: dict[str, Any] = {
        "event_id": "evt-0001",
        "stage": "generated",
        "category": "household_wet",
        "quantity": 1.25,
        "unit": "t",
        "is_estimate": False,
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    report.update(overrides)
    return report
