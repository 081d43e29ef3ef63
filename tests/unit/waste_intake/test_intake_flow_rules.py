"""The rules a reported flow must pass on its own: quantity, time, 名录 code, counterparty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from intake_unit_builders import LIMITS, NOW, a_report
from pydantic import ValidationError

from waste_intake.domain.flows import check_report, to_recorded
from waste_intake.domain.hazardous_codes import code_problem


def _codes(**overrides: object) -> list[str]:
    return [e.code for e in check_report("fac-01", a_report(**overrides), LIMITS, NOW)]


def test_a_plain_report_breaks_no_rule() -> None:
    assert _codes() == []


def test_tonnes_are_normalised_to_kilograms_on_the_event() -> None:
    flow = to_recorded("fac-01", "cell-1", a_report(quantity=1.5, unit="t"))
    assert (flow.quantity_kg, flow.reported_quantity, flow.reported_unit) == (1500, 1.5, "t")


def test_the_same_instant_in_another_offset_gives_the_same_event() -> None:
    utc = a_report(occurred_at="2026-11-24T01:30:00Z")
    shanghai = a_report(occurred_at="2026-11-24T09:30:00+08:00")
    assert to_recorded("f", "c", utc) == to_recorded("f", "c", shanghai)


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", -1), ("quantity", 0), ("quantity", float("nan")), ("unit", "lb"),
     ("occurred_at", "2026-11-24T09:30:00"), ("stage", "burnt"), ("event_id", "has space")],
)  # fmt: skip
def test_malformed_fields_are_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        a_report(**{field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="quantity_lbs"):
        a_report(quantity_lbs=3)


def test_an_absurd_quantity_is_refused() -> None:
    assert _codes(quantity=10_001, unit="t") == ["quantity_too_large"]


def test_a_future_date_beyond_the_skew_is_refused_but_within_it_is_not() -> None:
    assert _codes(occurred_at=NOW + timedelta(minutes=10)) == ["future_date"]
    assert _codes(occurred_at=NOW + timedelta(minutes=4)) == []


def test_a_flow_older_than_the_limit_is_refused() -> None:
    assert _codes(occurred_at=NOW - timedelta(days=401)) == ["too_old"]


def test_hazardous_waste_needs_a_valid_code() -> None:
    assert _codes(category="hazardous") == ["hazardous_code_missing"]
    assert _codes(category="hazardous", hazardous_code="900-041-49") == []
    assert _codes(category="hazardous", hazardous_code="90004149") == ["hazardous_code_invalid"]


def test_medical_waste_codes_are_hw01() -> None:
    assert _codes(category="medical", hazardous_code="841-001-01") == []
    assert _codes(category="medical", hazardous_code="900-041-49") == ["hazardous_code_invalid"]


def test_a_code_on_non_hazardous_waste_is_refused() -> None:
    assert _codes(hazardous_code="900-041-49") == ["hazardous_code_unexpected"]


@pytest.mark.parametrize("code", ["900-041-41", "900-041-44", "900-041-00", "900-041-51"])
def test_unused_hw_categories_are_not_codes(code: str) -> None:
    assert code_problem(code) is not None


@pytest.mark.parametrize("code", ["900-041-49", "841-001-01", "900-000-40", "900-000-45"])
def test_listed_hw_categories_are_codes(code: str) -> None:
    assert code_problem(code) is None


def test_a_handover_names_another_facility() -> None:
    assert _codes(stage="handed_over") == ["counterparty_missing"]
    assert _codes(stage="handed_over", counterparty_facility_id="fac-01") == [
        "counterparty_is_self"
    ]
