"""The API's city summary, its errors, its OpenAPI description, and the dashboard's files,
on the app built by ``create_api`` over in-memory views (no broker: the app is not
started, so no view or publisher connects)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scoring.adapters.broker_probe import BrokerProbe
from scoring.adapters.change_feed import ChangeFeed
from scoring.adapters.compacted_view import Latest
from scoring.adapters.indicator_config import load_indicator_system
from scoring.adapters.month_flows_store import MonthFlowsStore
from scoring.domain.period_flows import Fact, Mass, PeriodFlows
from scoring.domain.periods import Period
from scoring.entrypoints.access import Officials
from scoring.entrypoints.api_app import ApiDeps, create_api
from scoring.handlers import month_flows_updated
from scoring.queries import ScoreBoard
from zw_shared.adapters.publisher import EventPublisher
from zw_shared.auth_http import TokenGate
from zw_shared.contracts.scoring import CellTotalsUpdated
from zw_shared.contracts.waste import CellRegistered, FlowStage, WasteCategory
from zw_shared.testing.identities import official_headers, token_settings

DRY, WET = WasteCategory.HOUSEHOLD_DRY, WasteCategory.HOUSEHOLD_WET


def a_cell(cell_id: str, district: str, cell_type: str = "community") -> CellRegistered:
    return CellRegistered(
        cell_id=cell_id, name=cell_id, cell_type=cell_type, district=district, population=10
    )


@pytest.fixture
def client() -> TestClient:
    cells: Latest[CellRegistered] = Latest()
    for cell in (a_cell("a", "Xuhui"), a_cell("b", "Huangpu", "hotel")):
        cells.put(cell.cell_id, cell)
    months = MonthFlowsStore()
    november = PeriodFlows(
        "a",
        Period.parse("2026-11"),
        mass={
            (DRY, FlowStage.GENERATED): Mass(300, 1),
            (WET, FlowStage.GENERATED): Mass(100, 1),
            (WET, FlowStage.COMPOSTED_OR_DIGESTED): Mass(100, 1),
        },
        facts={Fact.FLOW_EVENTS: 3},
    )
    months.put("a/2026-11", month_flows_updated(november))
    board = ScoreBoard(load_indicator_system(), cells, months, today=lambda: date(2026, 11, 30))
    deps = ApiDeps(
        views=[],
        totals=Latest[CellTotalsUpdated](),
        board=board,
        probe=BrokerProbe("127.0.0.1:9", "test"),
        publisher=EventPublisher("127.0.0.1:9", 1.0, "test"),
        assessments_topic="assessments",
        event_source="/test",
        readiness_timeout_s=1.0,
        feed=ChangeFeed(queue_size=4, max_clients=1, ping_s=15, send_timeout_s=5),
        officials=Officials(TokenGate(token_settings()), province="31"),
    )
    return TestClient(create_api(deps), headers=official_headers("31"))


def errors(body: dict[str, Any]) -> list[list[str]]:
    return [err["loc"] for err in body["detail"]]


def test_the_city_summary_sums_the_registered_cells_flows(client: TestClient) -> None:
    answer = client.get("/v1/city/summary", params={"period": "2026-11"})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["cells"], body["cells_with_flows"], body["flow_events"]) == (2, 1, 3)
    assert body["generated_kg"] == 400
    assert body["recycling_rate"] == pytest.approx(0.25)
    assert body["generated_kg_by_category"]["household_dry"] == 300
    # a: 400 kg by 10 people in 30 days is above the baseline, 25 % recycled, nothing
    # reported on time: 15.7 of 80 points. b reported on none of the 30 days: 0 points.
    assert body["cells_by_band"]["not_qualified"] == 2
    assert [d["district"] for d in body["districts"]] == ["Huangpu", "Xuhui"]
    assert (body["as_of"], body["system_id"]) == ("2026-11-30", "shanghai-cells")


def test_the_city_summary_filters_by_district_and_cell_type(client: TestClient) -> None:
    by_district = client.get("/v1/city/summary?period=2026-11&district=Huangpu").json()
    by_type = client.get("/v1/city/summary?period=2026-11&cell_type=community").json()

    assert (by_district["cells"], by_district["generated_kg"]) == (1, 0)
    assert by_district["district"] == "Huangpu"
    assert (by_type["cells"], by_type["cell_type"]) == (1, "community")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-13", "period"),
        ("period=last-month", "period"),
        ("", "period"),
        ("period=2026-11&cell_type=castle", "cell_type"),
        ("period=2026-11&district=", "district"),
    ],
)
def test_a_bad_query_field_is_named_in_a_422(client: TestClient, query: str, field: str) -> None:
    answer = client.get(f"/v1/city/summary?{query}")

    assert answer.status_code == 422
    assert errors(answer.json()) == [["query", field]]


def test_a_cells_flows_in_a_period_come_with_its_rates(client: TestClient) -> None:
    answer = client.get("/v1/cells/a/flows/2026-Q4")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["cell_id"], body["period"], body["flow_events"]) == ("a", "2026-Q4", 3)
    assert body["generated_kg_by_category"]["household_wet"] == 100
    assert body["kg_by_stage"]["composted_or_digested"] == 100
    assert body["recycling_rate"] == pytest.approx(0.25)


def test_a_cells_flows_need_a_registered_cell_and_a_period(client: TestClient) -> None:
    unknown = client.get("/v1/cells/nobody/flows/2026-11")
    bad = client.get("/v1/cells/a/flows/november")

    assert unknown.status_code == 404
    assert "nobody" in unknown.json()["detail"]
    assert (bad.status_code, errors(bad.json())) == (422, [["path", "period"]])


def test_openapi_describes_the_summary_with_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    schema = spec["components"]["schemas"]["CitySummaryOut"]
    assert schema["examples"][0]["cells_by_band"]["good"] == 2
    assert "/v1/events/stream" in spec["paths"]
    assert "/dashboard" not in spec["paths"]


def test_the_dashboard_page_loads_only_its_own_files(client: TestClient) -> None:
    page = client.get("/dashboard")
    script = client.get("/dashboard/app.js")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "排名 Rankings" in page.text
    assert "http:" not in page.text
    assert "https:" not in page.text  # no external resource
    assert script.headers["content-type"].startswith("text/javascript")
    assert "EventSource" in script.text


@pytest.mark.parametrize("name", ["nope.js", "..%2Fapi.py", ".hidden", "index.py"])
def test_no_other_file_is_served_under_the_dashboard(client: TestClient, name: str) -> None:
    assert client.get(f"/dashboard/{name}").status_code == 404


def test_the_root_sends_a_browser_to_the_dashboard(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (307, "/dashboard")
