"""Builders of waste-intake unit-test data (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from waste_intake.domain.flows import FlowReport, Limits
from waste_intake.domain.registry import Registry
from zw_shared.contracts.waste import CellRegistered, FacilityRegistered, Licence

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LIMITS = Limits(
    max_quantity_kg=10_000_000.0, max_future_skew=timedelta(minutes=5), max_age=timedelta(days=400)
)


def a_report(**overrides: Any) -> FlowReport:
    values: dict[str, Any] = {
        "event_id": "evt-1",
        "stage": "generated",
        "category": "household_wet",
        "quantity": 12.5,
        "unit": "kg",
        "occurred_at": NOW - timedelta(hours=1),
    }
    return FlowReport.model_validate({**values, **overrides})


def a_facility(facility_id: str = "fac-01", **overrides: Any) -> FacilityRegistered:
    values: dict[str, Any] = {
        "facility_id": facility_id,
        "name": facility_id,
        "facility_type": "generator",
        "district": "Xuhui",
        "province": "31",
        "cell_id": "cell-1",
    }
    return FacilityRegistered.model_validate({**values, **overrides})


def a_licence(*codes: str, valid_until: str | None = None) -> Licence:
    return Licence(licence_no="L-1", hazardous_codes=codes, valid_until=valid_until)  # type: ignore[arg-type]


def a_registry(*facilities: FacilityRegistered) -> Registry:
    registry = Registry()
    registry.apply(
        CellRegistered(
            cell_id="cell-1",
            name="c",
            cell_type="campus",
            district="Xuhui",
            population=100,  # type: ignore[arg-type]
        )
    )
    for facility in facilities or (a_facility(),):
        registry.apply(facility)
    return registry
