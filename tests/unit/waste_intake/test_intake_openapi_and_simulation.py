"""The OpenAPI document is complete (examples on every write, the auth answers on every
facility route); the simulator is reproducible; dead-letter reasons are specific."""

from __future__ import annotations

from datetime import date

import pytest

from waste_intake.adapters.dead_letters import unreadable_reason
from waste_intake.bootstrap import build_api_deps
from waste_intake.domain.flows import FlowReport
from waste_intake.domain.simulation import scenario
from waste_intake.entrypoints.api import create_app
from waste_intake.settings import IntakeSettings
from zw_shared.topics import WASTE_CELLS, WASTE_FLOW_EVENTS


@pytest.fixture(scope="module")
def openapi() -> dict:  # type: ignore[type-arg]
    return create_app(build_api_deps(IntakeSettings())).openapi()


def test_every_write_documents_an_example_body(openapi: dict) -> None:  # type: ignore[type-arg]
    for path, operations in openapi["paths"].items():
        for method in ("post", "put"):
            if method in operations and not path.endswith("/api-keys"):
                content = operations[method]["requestBody"]["content"].values()
                assert any("examples" in c or "example" in c for c in content), (method, path)


def test_every_facility_route_documents_401_and_403(openapi: dict) -> None:  # type: ignore[type-arg]
    for path, operations in openapi["paths"].items():
        if path.startswith("/v1/facilities/"):
            for method, operation in operations.items():
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_the_simulator_is_reproducible_and_its_reports_are_well_formed() -> None:
    one = scenario(12, 3, 2, seed=5, end=date(2026, 11, 23))
    two = scenario(12, 3, 2, seed=5, end=date(2026, 11, 23))
    other = scenario(12, 3, 2, seed=6, end=date(2026, 11, 23))

    assert one.reports == two.reports
    assert one.reports != other.reports
    assert len(one.facilities) == 12
    for reports in one.reports.values():
        for report in reports:
            FlowReport.model_validate(report)


def test_a_registry_event_on_the_flow_topic_is_a_dead_letter() -> None:
    raw = (
        b'{"specversion":"1.0","id":"c","source":"/admin","type":"waste.cell.registered",'
        b'"time":"2026-11-24T00:00:00Z","dataschema":"urn:x","dataversion":1,"data":{}}'
    )
    assert unreadable_reason(WASTE_FLOW_EVENTS, raw) == (
        "event type 'waste.cell.registered' does not belong on waste.flow-events.v1"
    )
    assert "invalid" in (unreadable_reason(WASTE_CELLS, raw) or "")
    assert unreadable_reason(WASTE_CELLS, b"") == "empty value"


def test_an_old_event_its_upcaster_cannot_read_is_a_dead_letter_not_a_crash() -> None:
    raw = (
        b'{"specversion":"1.0","id":"f/1","source":"/facilities/f","type":"waste.flow.recorded",'
        b'"time":"2026-11-24T00:00:00Z","dataschema":"urn:x","dataversion":1,"data":{}}'
    )
    assert unreadable_reason(WASTE_FLOW_EVENTS, raw) == "unreadable (KeyError): 'quantity_kg'"
