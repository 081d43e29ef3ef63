"""Reading batch bodies item by item, and settings that refuse unsafe values."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from waste_intake.domain.flows import FlowReport
from waste_intake.entrypoints import batch_parsing as parsing
from waste_intake.settings import IntakeSettings

ROW = {
    "event_id": "e-1",
    "stage": "generated",
    "category": "household_dry",
    "quantity": 3,
    "unit": "kg",
    "occurred_at": "2026-11-24T09:30:00+08:00",
}


def test_a_bad_item_is_rejected_and_the_others_parse() -> None:
    items = parsing.parse_items(
        parsing.from_json_array(json.dumps([ROW, {**ROW, "unit": "lb"}]).encode())
    )

    assert isinstance(items[0], FlowReport)
    assert isinstance(items[1], list)
    assert items[1][0].field == "unit"


def test_a_json_body_that_is_not_an_array_is_unreadable() -> None:
    with pytest.raises(parsing.UnreadableBatch, match="array"):
        parsing.from_json_array(json.dumps(ROW).encode())


def test_ndjson_skips_blank_lines_and_names_a_broken_line() -> None:
    body = f"{json.dumps(ROW)}\n\n{{oops\n".encode()
    items = parsing.parse_items(parsing.from_ndjson(body))

    assert isinstance(items[0], FlowReport)
    assert isinstance(items[1], list)
    assert "line 3" in items[1][0].reason


def test_csv_reads_empty_cells_as_absent_and_yes_as_true() -> None:
    csv = "event_id,stage,category,quantity,unit,is_estimate,hazardous_code,occurred_at\n" \
        "e-1,generated,household_dry,3,kg,yes,,2026-11-24T09:30:00+08:00\n"  # fmt: skip
    (item,) = parsing.parse_items(parsing.from_csv(csv.encode()))

    assert isinstance(item, FlowReport)
    assert (item.is_estimate, item.hazardous_code) == (True, None)


def test_a_csv_row_with_extra_cells_is_rejected() -> None:
    csv = "event_id,stage,category,quantity,unit,occurred_at\ne,generated,household_dry,3,kg,x,y\n"
    (item,) = parsing.parse_items(parsing.from_csv(csv.encode()))

    assert isinstance(item, list)


def test_a_csv_with_bare_carriage_returns_is_read_line_by_line() -> None:
    header = ",".join(ROW)
    row = ",".join(str(v) for v in ROW.values())

    assert parsing.from_csv(f"{header}\r{row}\r".encode()) == [{k: str(v) for k, v in ROW.items()}]


def test_a_csv_the_csv_module_cannot_read_is_unreadable_not_an_error() -> None:
    huge = "x" * 200_000
    body = f'{",".join(ROW)}\r\n"{huge}",generated\r\n'.encode()

    with pytest.raises(parsing.UnreadableBatch, match="field larger than field limit"):
        parsing.from_csv(body)


@pytest.mark.parametrize("quantity", [2e307, 1.7e308])
def test_a_quantity_beyond_any_number_of_kg_is_refused_naming_the_field(quantity: float) -> None:
    with pytest.raises(ValidationError) as refused:
        FlowReport.model_validate({**ROW, "quantity": quantity, "unit": "t"})

    assert refused.value.errors()[0]["loc"] == ("quantity",)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_outside_the_years_of_utc_is_refused_naming_the_field(when: str) -> None:
    with pytest.raises(ValidationError) as refused:
        FlowReport.model_validate({**ROW, "occurred_at": when})

    assert refused.value.errors()[0]["loc"] == ("occurred_at",)


def test_the_default_admin_token_is_refused_outside_development() -> None:
    assert IntakeSettings(environment="development")
    with pytest.raises(ValidationError, match="INTAKE_ADMIN_TOKEN"):
        IntakeSettings(environment="test")
    with pytest.raises(ValidationError, match="32 characters"):
        IntakeSettings(environment="production", topic_replication_factor=3,
                       intake_admin_token="short")  # type: ignore[arg-type]  # fmt: skip


def test_an_empty_admin_token_is_refused_everywhere() -> None:
    with pytest.raises(ValidationError, match="empty"):
        IntakeSettings(intake_admin_token=" ")  # type: ignore[arg-type]


def test_an_unknown_summary_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        IntakeSettings(summary_timezone="Mars/Olympus")
