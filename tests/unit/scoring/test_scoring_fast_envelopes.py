"""The worker builds the JSON of what it publishes itself: readers must get exactly what the
pydantic path (``wrap(Model(...)).to_bytes()``) gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from scoring.adapters.envelopes import envelope_bytes
from scoring.adapters.indicator_config import load_indicator_system
from scoring.domain.counted_flow import CountedFlow
from scoring.domain.period_flows import Fact, PeriodFlows
from scoring.domain.periods import Period
from scoring.domain.totals import CellTotals
from scoring.handlers import month_flows_updated, totals_data, totals_updated
from scoring.score_updates import profile_of, score_data, score_of, score_updated
from zw_shared.contracts import unwrap, wrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.scoring import (
    CellPeriodFlowsUpdated,
    CellScoreUpdated,
    CellTotalsUpdated,
)
from zw_shared.contracts.waste import CellRegistered, FlowStage, WasteCategory

AT = datetime(2026, 11, 20, 16, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
SYSTEM = load_indicator_system()
CELL = CellRegistered(cell_id="c-1", name="C", cell_type="hotel", district="Huangpu",
                      population=10)  # fmt: skip
FLOW = CountedFlow(WasteCategory.HOUSEHOLD_WET, FlowStage.GENERATED, 12.345678901,
                   AT - timedelta(days=1), AT)  # fmt: skip
ZONE = AT.tzinfo


def read(raw: bytes) -> tuple[CloudEvent, Any]:
    envelope = CloudEvent.from_bytes(raw)
    return envelope, unwrap(envelope)


def both(payload: Any, data: dict[str, Any]) -> tuple[Any, Any]:
    ids: dict[str, Any] = {"event_id": "e-1", "source": "urn:s", "time": AT, "subject": "c-1"}
    return read(wrap(payload, **ids).to_bytes()), read(envelope_bytes(type(payload), data, **ids))


def test_totals_read_back_as_the_validated_model_gives() -> None:
    totals = CellTotals("c-1").counting(FLOW).counting(FLOW)

    slow, fast = both(totals_updated(totals), totals_data(totals))

    assert fast == slow
    assert isinstance(fast[1], CellTotalsUpdated)


def test_empty_totals_without_a_last_event_read_back_the_same() -> None:
    totals = CellTotals("c-1")

    slow, fast = both(totals_updated(totals), totals_data(totals))

    assert fast == slow


def test_a_month_reads_back_as_the_validated_model_gives() -> None:
    flows = PeriodFlows("c-1", Period.parse("2026-11")).with_flow(
        FLOW, timedelta(hours=72), UTC
    ).with_fact(Fact.SURVEY_SCORE_TOTAL, 81.5)  # fmt: skip

    slow, fast = both(month_flows_updated(flows), flows.to_state())

    assert fast == slow
    assert isinstance(fast[1], CellPeriodFlowsUpdated)


def test_a_score_reads_back_as_the_validated_model_gives() -> None:
    flows = PeriodFlows("c-1", Period.parse("2026-11")).with_flow(FLOW, timedelta(hours=72), UTC)

    def month_of(cell_id: str, month: Period) -> PeriodFlows | None:
        return flows if month == flows.period else None

    score = score_of(SYSTEM, profile_of(CELL, SYSTEM), Period.parse("2026"), month_of,
                     date(2026, 11, 21))  # fmt: skip
    slow, fast = both(score_updated(score, date(2026, 11, 21)),
                      score_data(score, date(2026, 11, 21)))  # fmt: skip

    assert fast == slow
    assert isinstance(fast[1], CellScoreUpdated)
    assert fast[1].flow_events == 1
    assert fast[1].indicators
