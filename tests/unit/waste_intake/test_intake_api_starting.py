"""While the API has not yet read the registry and the seen ids from their topics it answers
503 (retry later), never 401 / 422 from an incomplete registry, and /readyz says why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from intake_unit_builders import a_report

from waste_intake.bootstrap import build_api_deps
from waste_intake.entrypoints.api import create_app
from waste_intake.settings import IntakeSettings


@pytest.fixture
async def starting() -> AsyncIterator[httpx.AsyncClient]:
    """The app without its lifespan: nothing connects, the views have read nothing."""
    app = create_app(build_api_deps(IntakeSettings()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


async def test_a_facility_post_is_503_until_the_registry_is_read(
    starting: httpx.AsyncClient,
) -> None:
    body = a_report().model_dump(mode="json", exclude_none=True)
    headers = {"Authorization": "Bearer zwk_whatever"}

    response = await starting.post("/v1/facilities/fac-01/events", json=body, headers=headers)

    assert response.status_code == 503
    assert "still reading the registry" in response.json()["detail"]


async def test_the_admin_api_is_503_until_the_registry_is_read(
    starting: httpx.AsyncClient,
) -> None:
    headers = {"Authorization": "Bearer dev-admin-token"}

    response = await starting.get("/v1/admin/cells/cell-1", headers=headers)

    assert response.status_code == 503


async def test_readiness_reports_the_views_and_the_broker(starting: httpx.AsyncClient) -> None:
    response = await starting.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"kafka": False, "views_caught_up": False}


async def test_requests_are_counted_by_route_template(starting: httpx.AsyncClient) -> None:
    await starting.get("/v1/facilities/fac-77/events", headers={"Authorization": "Bearer k"})

    metrics = (await starting.get("/metrics")).text

    assert (
        'http_requests_total{method="GET",route="/v1/facilities/{facility_id}/events",'
        'status="503"}' in metrics
    )
