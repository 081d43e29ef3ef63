from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from zw_shared.contracts import CloudEvent, unwrap, wrap
from zw_shared.contracts.registry import UnknownEventType, UnknownSchemaVersion
from zw_shared.contracts.waste import FlowStage, QuantityUnit, WasteFlowRecorded

OCCURRED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def a_flow(**overrides: Any) -> WasteFlowRecorded:
    fields: dict[str, Any] = {
        "event_id": "ev-1",
        "facility_id": "fac-1",
        "cell_id": "cell-1",
        "stage": "generated",
        "category": "household_wet",
        "quantity_kg": 1500.0,
        "reported_quantity": 1.5,
        "reported_unit": "t",
        "occurred_at": OCCURRED,
    }
    return WasteFlowRecorded(**{**fields, **overrides})


def an_envelope(data: dict[str, Any], version: int, type_: str = "waste.flow.recorded") -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": "fac-1/ev-1",
            "source": "/facilities/fac-1",
            "type": type_,
            "time": "2026-11-20T08:30:00Z",
            "dataschema": f"urn:zero-waste-city:schema:{type_}:{version}",
            "dataversion": version,
            "data": data,
        }
    ).encode()


def test_a_wrapped_event_survives_the_wire_unchanged() -> None:
    flow = a_flow()
    envelope = wrap(
        flow, event_id=flow.dedup_key, source="/facilities/fac-1", time=OCCURRED, subject="cell-1"
    )

    again = CloudEvent.from_bytes(envelope.to_bytes())

    assert again == envelope
    assert unwrap(again) == flow
    assert again.dataversion == 2
    assert again.dataschema == "urn:zero-waste-city:schema:waste.flow.recorded:2"


def test_a_version_1_waste_flow_is_upcast_to_the_current_version() -> None:
    v1 = {
        "event_id": "ev-1",
        "facility_id": "fac-1",
        "cell_id": "cell-1",
        "stage": "landfilled",
        "category": "household_dry",
        "quantity_kg": 250.0,
        "occurred_at": "2026-11-20T08:30:00Z",
    }

    flow = unwrap(CloudEvent.from_bytes(an_envelope(v1, version=1)))

    assert isinstance(flow, WasteFlowRecorded)
    assert flow.stage is FlowStage.LANDFILLED
    assert (flow.reported_quantity, flow.reported_unit) == (250.0, QuantityUnit.KG)
    assert flow.is_estimate is False


def test_a_version_newer_than_the_reader_knows_is_refused_with_the_versions_named() -> None:
    envelope = CloudEvent.from_bytes(an_envelope(a_flow().model_dump(mode="json"), version=7))

    with pytest.raises(UnknownSchemaVersion, match=r"schema version 7 .*current version 2"):
        unwrap(envelope)


def test_an_unknown_event_type_is_refused_by_name() -> None:
    envelope = CloudEvent.from_bytes(an_envelope({}, version=1, type_="waste.unheard-of"))

    with pytest.raises(UnknownEventType, match=r"waste\.unheard-of"):
        unwrap(envelope)


def test_envelope_time_must_carry_an_offset_and_is_kept_in_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    flow = a_flow()

    envelope = wrap(
        flow, event_id="x", source="/s", time=datetime(2026, 1, 1, 8, tzinfo=shanghai), subject=None
    )

    assert envelope.time == datetime(2026, 1, 1, 0, tzinfo=UTC)
    with pytest.raises(ValidationError, match="timezone"):
        CloudEvent(
            id="x",
            source="/s",
            type="t",
            time=datetime(2026, 1, 1),
            dataschema="u",
            dataversion=1,
            data={},
        )


@pytest.mark.parametrize("quantity", [0.0, -1.0, float("nan"), float("inf")])
def test_a_flow_quantity_must_be_a_positive_finite_number(quantity: float) -> None:
    with pytest.raises(ValidationError, match="quantity_kg"):
        a_flow(quantity_kg=quantity)


def test_contracts_are_frozen_and_refuse_unknown_fields() -> None:
    flow = a_flow()
    with pytest.raises(ValidationError):
        flow.quantity_kg = 2.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="colour"):
        a_flow(colour="green")


def test_the_dedup_key_scopes_the_facilitys_event_id_to_the_facility() -> None:
    assert a_flow(facility_id="fac-9", event_id="42").dedup_key == "fac-9/42"
