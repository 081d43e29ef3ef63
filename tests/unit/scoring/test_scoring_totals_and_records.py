"""Counting, correcting and voiding waste flows in a cell's totals and months, and reading
the records of the flow topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scoring.adapters.records import Unreadable, UnreadableRecord, read_flow_event
from scoring.domain.period_flows import Fact
from scoring.domain.totals import CellTotals
from scoring.handlers import FlowLedger, Outcome, Refused, Stores, totals_updated
from zw_shared.contracts import wrap
from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded, WasteFlowVoided

MORNING = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
EVENING = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def a_flow(**overrides: Any) -> WasteFlowRecorded:
    fields: dict[str, Any] = {
        "event_id": "ev-1",
        "facility_id": "fac-1",
        "cell_id": "cell-1",
        "stage": "generated",
        "category": "household_wet",
        "quantity_kg": 10.0,
        "reported_quantity": 10.0,
        "reported_unit": "kg",
        "occurred_at": MORNING,
    }
    return WasteFlowRecorded(**{**fields, **overrides})


def a_correction(**overrides: Any) -> WasteFlowCorrected:
    fields = {
        **a_flow().model_dump(),
        "event_id": "ev-1-fix",
        "corrects_event_id": "ev-1",
        "reason": "weighbridge misread",
    }
    return WasteFlowCorrected(**{**fields, **overrides})


def a_void(**overrides: Any) -> WasteFlowVoided:
    fields = {
        "event_id": "ev-1-void",
        "voids_event_id": "ev-1",
        "reason": "reported twice",
        "facility_id": "fac-1",
        "cell_id": "cell-1",
    }
    return WasteFlowVoided(**{**fields, **overrides})


def a_ledger() -> tuple[FlowLedger, Stores]:
    stores = Stores(totals={}, months={}, ledger={}, index={})
    return FlowLedger(stores, SHANGHAI, timedelta(hours=72)), stores


def a_record(flow: WasteFlowRecorded, **envelope: Any) -> bytes:
    event = wrap(flow, event_id=flow.dedup_key, source="/f", time=MORNING, subject=flow.cell_id)
    return json.dumps({**json.loads(event.to_bytes()), **envelope}).encode()


def test_a_counted_flow_adds_to_the_total_its_category_its_stage_and_its_month() -> None:
    ledger, stores = a_ledger()
    ledger.record(a_flow(quantity_kg=10.0), MORNING)
    applied = ledger.record(
        a_flow(event_id="ev-2", quantity_kg=2.5, category="household_dry", stage="landfilled"),
        MORNING,
    )

    assert applied.outcome is Outcome.COUNTED
    assert applied.totals.total_kg == 12.5
    assert applied.totals.kg_by_category == {"household_wet": 10.0, "household_dry": 2.5}
    assert applied.totals.kg_by_stage == {"generated": 10.0, "landfilled": 2.5}
    assert applied.totals.event_count == 2
    (month,) = applied.months
    assert (month.period.key, month.fact(Fact.FLOW_EVENTS)) == ("2026-11", 2)
    assert set(stores.months) == {"cell-1|2026-11"}


def test_the_last_event_time_is_the_latest_occurrence_even_when_events_arrive_late() -> None:
    ledger, _ = a_ledger()
    ledger.record(a_flow(occurred_at=EVENING), EVENING)
    applied = ledger.record(a_flow(event_id="ev-2", occurred_at=MORNING), EVENING)

    assert applied.totals.last_event_at == EVENING


def test_an_event_counted_once_is_not_counted_again() -> None:
    ledger, stores = a_ledger()
    ledger.record(a_flow(), MORNING)
    again = ledger.record(a_flow(), MORNING)

    assert (again.outcome, again.totals.event_count, again.months) == (Outcome.DUPLICATE, 1, ())
    assert stores.totals["cell-1"]["total_kg"] == 10.0


def test_the_same_event_id_from_another_facility_is_another_event() -> None:
    ledger, _ = a_ledger()
    ledger.record(a_flow(facility_id="fac-1"), MORNING)
    applied = ledger.record(a_flow(facility_id="fac-2"), MORNING)

    assert (applied.outcome, applied.totals.total_kg) == (Outcome.COUNTED, 20.0)


def test_a_correction_replaces_what_the_flow_contributed() -> None:
    ledger, _ = a_ledger()
    ledger.record(a_flow(quantity_kg=10.0), MORNING)
    applied = ledger.correct(a_correction(quantity_kg=4.0, category="household_dry"), MORNING)

    assert applied.outcome is Outcome.CORRECTED
    assert (applied.totals.total_kg, applied.totals.event_count) == (4.0, 1)
    assert applied.totals.kg_by_category == {"household_dry": 4.0}
    (month,) = applied.months
    assert month.fact(Fact.FLOW_EVENTS) == 1


def test_a_correction_moving_a_flow_to_another_month_updates_both_months() -> None:
    ledger, _ = a_ledger()
    ledger.record(a_flow(), MORNING)
    applied = ledger.correct(a_correction(occurred_at=datetime(2026, 10, 3, tzinfo=UTC)), MORNING)

    months = {m.period.key: m.fact(Fact.FLOW_EVENTS) for m in applied.months}
    assert months == {"2026-11": 0, "2026-10": 1}


def test_a_second_correction_corrects_the_corrected_content() -> None:
    ledger, _ = a_ledger()
    ledger.record(a_flow(quantity_kg=10.0), MORNING)
    ledger.correct(a_correction(quantity_kg=4.0), MORNING)
    applied = ledger.correct(a_correction(event_id="ev-1-fix-2", quantity_kg=6.0), MORNING)

    assert (applied.totals.total_kg, applied.totals.event_count) == (6.0, 1)


def test_a_void_takes_the_flow_back_out_and_a_repeated_void_changes_nothing() -> None:
    ledger, _ = a_ledger()
    ledger.record(a_flow(quantity_kg=10.0), MORNING)
    ledger.record(a_flow(event_id="ev-2", quantity_kg=3.0), MORNING)
    applied = ledger.void(a_void())
    again = ledger.void(a_void())

    assert (applied.outcome, applied.totals.total_kg, applied.totals.event_count) == (
        Outcome.VOIDED,
        3.0,
        1,
    )
    assert (again.outcome, again.totals.total_kg) == (Outcome.DUPLICATE, 3.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ledger: ledger.void(a_void(voids_event_id="never")), "not counted"),
        (
            lambda ledger: ledger.correct(a_correction(corrects_event_id="never"), MORNING),
            "not counted",
        ),
        (lambda ledger: ledger.void(a_void(event_id="v2", cell_id="cell-2")), "of cell 'cell-1'"),
        (
            lambda ledger: (ledger.void(a_void()), ledger.correct(a_correction(), MORNING)),
            "was voided",
        ),
    ],
)
def test_a_change_to_an_event_that_cannot_take_it_is_refused(change: Any, message: str) -> None:
    ledger, _ = a_ledger()
    ledger.record(a_flow(), MORNING)

    with pytest.raises(Refused, match=message):
        change(ledger)


def test_published_totals_are_rounded_to_the_milligram() -> None:
    totals = CellTotals("cell-1", total_kg=0.1 + 0.2, kg_by_category={"household_wet": 0.3})

    assert totals_updated(totals).total_kg == 0.3


def test_totals_survive_the_round_trip_through_the_table_state() -> None:
    ledger, stores = a_ledger()
    applied = ledger.record(a_flow(), MORNING)

    assert CellTotals.from_state(json.loads(json.dumps(stores.totals["cell-1"]))) == applied.totals


def test_a_valid_record_keyed_by_its_cell_is_read() -> None:
    envelope, flow = read_flow_event(b"cell-1", a_record(a_flow()))

    assert isinstance(flow, WasteFlowRecorded)
    assert (envelope.id, flow.quantity_kg) == ("fac-1/ev-1", 10.0)


def test_corrections_and_voids_are_read_from_the_flow_topic() -> None:
    for payload in (a_correction(), a_void()):
        event = wrap(payload, event_id="x", source="/f", time=MORNING, subject="cell-1")

        assert read_flow_event(b"cell-1", event.to_bytes())[1] == payload


def test_a_version_1_flow_is_upcast_on_read() -> None:
    v1 = a_flow().model_dump(mode="json", exclude={"reported_quantity", "reported_unit"})
    raw = a_record(a_flow(), dataversion=1, data=v1)

    _, flow = read_flow_event(b"cell-1", raw)

    assert isinstance(flow, WasteFlowRecorded)
    assert (flow.reported_quantity, flow.reported_unit) == (10.0, "kg")


TOTALS = {"cell_id": "c", "total_kg": 1, "kg_by_category": {}, "kg_by_stage": {}, "event_count": 1}


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (b"cell-1", None, Unreadable.NO_VALUE),
        (b"cell-1", b"{not json", Unreadable.INVALID_ENVELOPE),
        (b"cell-1", b'{"id": "x"}', Unreadable.INVALID_ENVELOPE),
        (b"cell-1", a_record(a_flow(), type="no.such.type"), Unreadable.UNKNOWN_EVENT_TYPE),
        (b"cell-1", a_record(a_flow(), dataversion=9), Unreadable.UNKNOWN_SCHEMA_VERSION),
        (b"cell-1", a_record(a_flow(), data={"cell_id": "cell-1"}), Unreadable.INVALID_PAYLOAD),
        (b"cell-1", a_record(a_flow(), dataversion=1, data={}), Unreadable.INVALID_PAYLOAD),
        (
            b"cell-1",
            a_record(a_flow(), type="scoring.cell-totals.updated", dataversion=1, data=TOTALS),
            Unreadable.UNEXPECTED_EVENT_TYPE,
        ),
        (b"cell-2", a_record(a_flow()), Unreadable.KEY_MISMATCH),
        (None, a_record(a_flow()), Unreadable.KEY_MISMATCH),
    ],
)
def test_an_unreadable_record_names_its_reason(
    key: bytes | None, value: bytes | None, reason: Unreadable
) -> None:
    with pytest.raises(UnreadableRecord) as caught:
        read_flow_event(key, value)

    assert caught.value.reason is reason


def test_an_invalid_payload_names_the_field() -> None:
    raw = a_record(a_flow(), data={**a_flow().model_dump(mode="json"), "quantity_kg": -1})

    with pytest.raises(UnreadableRecord, match="quantity_kg"):
        read_flow_event(b"cell-1", raw)
