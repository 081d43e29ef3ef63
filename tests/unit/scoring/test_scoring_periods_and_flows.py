"""Scoring periods by the city's calendar, and a cell's flows within a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scoring.domain.counted_flow import CountedFlow
from scoring.domain.period_flows import Fact, Mass, PeriodFlows
from scoring.domain.periods import Period, PeriodKind, periods_of
from zw_shared.contracts.waste import FlowStage, WasteCategory, WasteFlowRecorded

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(2026, PeriodKind.MONTH, 11)


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
        "occurred_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    }
    return WasteFlowRecorded(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("key", "first", "last", "days"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), 30),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), 29),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), 31),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), 92),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), 90),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), 365),
    ],
)
def test_a_period_knows_its_first_and_last_day(
    key: str, first: date, last: date, days: int
) -> None:
    period = Period.parse(key)

    assert (period.key, period.first_day, period.last_day, period.days) == (key, first, last, days)


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26-11", "2026-1", "november"])
def test_a_malformed_period_key_is_refused_with_the_accepted_forms(key: str) -> None:
    with pytest.raises(ValueError, match="2026-Q4"):
        Period.parse(key)


def test_an_event_late_on_the_last_utc_day_belongs_to_the_next_shanghai_month() -> None:
    moment = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 01:00 on 1 December in Shanghai

    assert [p.key for p in periods_of(moment, SHANGHAI)] == ["2026-12", "2026-Q4", "2026"]


def test_days_elapsed_count_up_to_the_day_and_stop_at_the_period_end() -> None:
    assert NOVEMBER.days_elapsed(date(2026, 10, 31)) == 0
    assert NOVEMBER.days_elapsed(date(2026, 11, 10)) == 10
    assert NOVEMBER.days_elapsed(date(2027, 1, 5)) == 30


def counted(reported_after: timedelta = timedelta(0), **overrides: Any) -> CountedFlow:
    flow = a_flow(**overrides)
    return CountedFlow.of(flow, flow.occurred_at + reported_after)


def test_a_flow_reported_within_the_deadline_counts_as_on_time() -> None:
    flows = PeriodFlows("cell-1", NOVEMBER).with_flow(
        counted(timedelta(hours=72)), timedelta(hours=72), SHANGHAI
    )

    assert flows.fact(Fact.FLOW_EVENTS) == 1
    assert flows.fact(Fact.REPORTS_ON_TIME) == 1


def test_a_flow_reported_after_the_deadline_is_counted_but_late() -> None:
    flows = PeriodFlows("cell-1", NOVEMBER).with_flow(
        counted(timedelta(hours=73)), timedelta(hours=72), SHANGHAI
    )

    assert (flows.fact(Fact.FLOW_EVENTS), flows.fact(Fact.REPORTS_ON_TIME)) == (1, 0)
    assert flows.mass_of([WasteCategory.HOUSEHOLD_WET], [FlowStage.GENERATED]) == Mass(10.0, 1)


def test_a_flow_belongs_to_the_shanghai_month_it_occurred_in() -> None:
    late_in_utc = counted(occurred_at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))

    assert late_in_utc.month(SHANGHAI) == NOVEMBER


def test_the_reporting_day_is_the_local_day_of_the_report() -> None:
    reported = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # 00:30 on the 21st in Shanghai
    flow = CountedFlow.of(a_flow(), reported)
    flows = PeriodFlows("cell-1", NOVEMBER).with_flow(flow, timedelta(hours=72), SHANGHAI)

    assert flows.report_days == {date(2026, 11, 21): 1}


def test_taking_a_flow_back_out_leaves_nothing_behind() -> None:
    flow = counted(quantity_kg=0.1)
    empty = PeriodFlows("cell-1", NOVEMBER)
    flows = (
        empty.with_flow(counted(quantity_kg=0.2, event_id="ev-2"), timedelta(hours=72), SHANGHAI)
        .with_flow(flow, timedelta(hours=72), SHANGHAI)
        .without_flow(flow, timedelta(hours=72), SHANGHAI)
    )

    assert flows.mass_of(None, [FlowStage.GENERATED]) == Mass(0.2, 1)
    assert flows.report_days == {date(2026, 11, 20): 1}
    assert flows.fact(Fact.FLOW_EVENTS) == 1


def test_a_quarter_is_the_merge_of_its_months() -> None:
    october, november = Period.parse("2026-10"), NOVEMBER
    in_october = counted(occurred_at=datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
    months = [
        PeriodFlows("cell-1", october).with_flow(in_october, timedelta(hours=72), SHANGHAI),
        PeriodFlows("cell-1", november).with_flow(counted(), timedelta(hours=72), SHANGHAI),
    ]

    quarter = PeriodFlows.merged("cell-1", Period.parse("2026-Q4"), months)

    assert quarter.mass_of(None, [FlowStage.GENERATED]) == Mass(20.0, 2)
    assert quarter.fact(Fact.FLOW_EVENTS) == 2
    assert quarter.days_reported(up_to=date(2026, 12, 31)) == 2


def test_mass_sums_over_the_selected_categories_and_stages_only() -> None:
    flows = PeriodFlows(
        "cell-1",
        NOVEMBER,
        mass={
            (WasteCategory.HOUSEHOLD_WET, FlowStage.GENERATED): Mass(9.0, 2),
            (WasteCategory.HOUSEHOLD_DRY, FlowStage.GENERATED): Mass(5.0, 1),
            (WasteCategory.HOUSEHOLD_DRY, FlowStage.LANDFILLED): Mass(4.0, 1),
        },
    )

    assert flows.mass_of(None, [FlowStage.GENERATED]) == Mass(14.0, 3)
    assert flows.mass_of([WasteCategory.HOUSEHOLD_DRY], [FlowStage.GENERATED]) == Mass(5.0, 1)
    assert flows.mass_of([WasteCategory.HAZARDOUS], [FlowStage.GENERATED]) == Mass()


def test_period_flows_survive_the_round_trip_through_table_state() -> None:
    flows = (
        PeriodFlows("cell-1", NOVEMBER)
        .with_flow(counted(), timedelta(hours=72), SHANGHAI)
        .with_fact(Fact.SURVEYS)
        .with_fact(Fact.SURVEY_SCORE_TOTAL, 87.5)
    )

    assert PeriodFlows.from_state(flows.to_state()) == flows


def test_a_report_made_after_the_period_marks_no_day_of_it() -> None:
    flows = PeriodFlows("cell-1", NOVEMBER).with_flow(
        counted(timedelta(days=15)),
        timedelta(hours=72),
        SHANGHAI,  # reported 5 December
    )

    assert flows.days_reported(up_to=date(2027, 1, 1)) == 0
