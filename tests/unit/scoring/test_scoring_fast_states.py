"""The worker's shortcuts over its own states give what the plain paths give: decoded
months and totals held between batches, enum members looked up, periods parsed once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scoring.adapters.envelopes import envelope_bytes
from scoring.adapters.records import read_flow_event
from scoring.batches import apply_batch
from scoring.decoded_states import DecodedStates
from scoring.domain.counted_flow import CountedFlow
from scoring.domain.members import member, value_of
from scoring.domain.period_flows import Fact, PeriodFlows
from scoring.domain.periods import Period, PeriodKind
from scoring.domain.totals import CellTotals
from scoring.handlers import Applied, FlowLedger, Stores
from zw_shared.contracts import wrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.scoring import CellTotalsUpdated
from zw_shared.contracts.waste import FlowStage, WasteCategory, WasteFlowRecorded

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV_20 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
Record = tuple[bytes, bytes]


def a_record(event_id: str, cell_id: str = "cell-1", days_ago: int = 0) -> Record:
    at = NOV_20 - timedelta(days=days_ago)
    flow = WasteFlowRecorded(
        event_id=event_id, facility_id="fac-1", cell_id=cell_id, stage="generated",
        category="household_wet", quantity_kg=2.5, reported_quantity=2.5, reported_unit="kg",
        occurred_at=at,
    )  # fmt: skip
    envelope = wrap(flow, event_id=flow.dedup_key, source="/f", time=at, subject=cell_id)
    return cell_id.encode(), envelope.to_bytes()


def plain_stores() -> Stores:
    return Stores(totals={}, months={}, ledger={}, index={})


def run_batches(ledger: FlowLedger, batches: list[list[Record]]) -> None:
    def apply(record: Record) -> tuple[CloudEvent, Applied]:  # as the worker does
        envelope, payload = read_flow_event(*record)
        assert isinstance(payload, WasteFlowRecorded)
        return envelope, ledger.record(payload, envelope.time)

    for records in batches:
        batch = apply_batch(ledger, records, apply)
        assert not batch.dead, batch.dead


def three_batches() -> list[list[Record]]:
    return [
        [a_record("e1"), a_record("e2", days_ago=25), a_record("e3", "cell-2")],
        [a_record("e4"), a_record("e1"), a_record("e5", days_ago=25)],  # e1: a duplicate
        [a_record("e6", "cell-2"), a_record("e7", days_ago=40)],
    ]


@pytest.mark.parametrize("kind", [WasteCategory, FlowStage, Fact])
def test_a_member_looked_up_is_the_member_the_enum_gives(kind: Any) -> None:
    for item in kind:
        assert member(kind, item.value) is kind(item.value)
        assert value_of(item) == item.value


@pytest.mark.parametrize("value", ["household_soggy", 3, None, ["household_wet"]])
def test_a_value_that_is_no_member_is_refused_as_the_enum_refuses_it(value: Any) -> None:
    with pytest.raises(ValueError, match="is not a valid WasteCategory") as expected:
        WasteCategory(value)

    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        member(WasteCategory, value)


def test_a_parsed_period_is_the_period_containing_its_days() -> None:
    assert Period.parse("2026-11") is Period.containing(PeriodKind.MONTH, NOV_20.date())
    assert Period.parse("2026-Q4") == Period.containing(PeriodKind.QUARTER, NOV_20.date())
    assert Period.parse("2026") == Period.containing(PeriodKind.YEAR, NOV_20.date())
    assert Period.parse("2026-Q1") == Period(2026, PeriodKind.QUARTER, 1)
    assert Period.parse("2026-Q1").key == "2026-Q1"
    assert Period.parse("2026").key == "2026"


def test_a_malformed_period_is_refused_every_time_it_is_parsed() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="'2026-13' is not a period"):
            Period.parse("2026-13")


def test_a_state_with_an_unknown_category_is_refused_as_before() -> None:
    state = PeriodFlows("c", Period.parse("2026-11")).to_state()
    state["mass"] = [{"category": "soggy", "stage": "generated", "kg": 1.0, "events": 1}]

    with pytest.raises(ValueError, match="'soggy' is not a valid WasteCategory"):
        PeriodFlows.from_state(state)


def test_held_states_are_decoded_once_and_again_when_the_store_holds_another() -> None:
    decoded: list[dict[str, Any]] = []
    held = DecodedStates(lambda state: decoded.append(state) or dict(state), size=8)
    store = {"k": {"n": 1}}

    first, again = held.get(store, "k"), held.get(store, "k")
    store["k"] = {"n": 1}  # equal, but written by someone else
    third = held.get(store, "k")

    assert first is again
    assert third == first
    assert third is not first
    assert len(decoded) == 2
    assert held.get(store, "missing") is None
    assert held.get({"k": {}}, "k") is None


def test_held_states_forget_the_least_recently_used_beyond_their_size() -> None:
    held = DecodedStates(dict, size=2)
    store = {key: {"key": key} for key in "abc"}
    held.get(store, "a"), held.get(store, "b"), held.get(store, "a"), held.get(store, "c")

    assert len(held) == 2
    assert held.get(store, "a") is held.get(store, "a")  # still held: used after b


def test_batches_end_with_the_same_stores_whether_states_are_held_or_decoded() -> None:
    held, decoded = plain_stores(), plain_stores()

    run_batches(FlowLedger(held, SHANGHAI, timedelta(hours=72)), three_batches())
    run_batches(
        FlowLedger(decoded, SHANGHAI, timedelta(hours=72), months_held=0, totals_held=0),
        three_batches(),
    )

    for name in ("totals", "months", "ledger", "index"):
        assert getattr(held, name) == getattr(decoded, name), name
    assert held.totals["cell-1"]["event_count"] == 5


def test_a_held_month_is_what_its_written_state_decodes_to() -> None:
    stores = plain_stores()
    ledger = FlowLedger(stores, SHANGHAI, timedelta(hours=72))
    run_batches(ledger, three_batches())

    for key, state in stores.months.items():
        cell_id, _, month = key.partition("|")
        assert ledger.month_of(cell_id, Period.parse(month)) == PeriodFlows.from_state(state)


def test_a_month_another_writer_replaced_is_read_from_the_store() -> None:
    stores = plain_stores()
    ledger = FlowLedger(stores, SHANGHAI, timedelta(hours=72))
    run_batches(ledger, three_batches()[:1])
    repaired = PeriodFlows("cell-1", Period.parse("2026-11")).with_fact(Fact.SURVEYS)

    stores.months["cell-1|2026-11"] = repaired.to_state()
    stores.totals["cell-1"] = CellTotals("cell-1", event_count=0).to_state()

    assert ledger.month_of("cell-1", Period.parse("2026-11")) == repaired
    run_batches(ledger, [[a_record("e9")]])
    assert stores.totals["cell-1"]["event_count"] == 1


def test_the_last_event_time_is_formatted_as_isoformat_gives_and_is_no_field() -> None:
    at = datetime(2026, 11, 20, 16, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    flow = CountedFlow(WasteCategory.HOUSEHOLD_WET, FlowStage.GENERATED, 1.0, at, at)
    totals = CellTotals("c").counting(flow)

    assert totals.last_event_iso == at.isoformat() == totals.to_state()["last_event_at"]
    assert totals == CellTotals.from_state(totals.to_state())
    assert CellTotals("c").last_event_iso is None


def test_an_instant_in_any_zone_is_published_as_the_same_utc_time() -> None:
    utc = datetime(2026, 11, 20, 8, 30, 15, 120000, tzinfo=UTC)
    shanghai = utc.astimezone(SHANGHAI)
    ids: dict[str, Any] = {"event_id": "e", "source": "s", "subject": "c"}

    first = envelope_bytes(CellTotalsUpdated, {}, time=utc, **ids)
    second = envelope_bytes(CellTotalsUpdated, {}, time=shanghai, **ids)

    assert first == second
    assert b'"time":"2026-11-20T08:30:15.120000Z"' in first
