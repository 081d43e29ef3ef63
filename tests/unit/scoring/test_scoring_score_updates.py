"""The scores the worker publishes after a change: the month, its quarter and its year,
each once however many events changed it, in the background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka.errors import ProducerClosed

from scoring.adapters.compacted_view import Latest
from scoring.adapters.indicator_config import load_indicator_system
from scoring.decoded_states import DecodedStates
from scoring.domain.period_flows import Fact, Mass, PeriodFlows
from scoring.domain.periods import Period
from scoring.entrypoints import score_publisher
from scoring.entrypoints.score_publisher import ScorePublisher
from scoring.handlers import Stores, month_key, rebuild_index
from scoring.score_updates import profile_of, score_key, score_of, score_updated
from scoring.settings import ScoringSettings
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import unwrap
from zw_shared.contracts.scoring import CellScoreUpdated
from zw_shared.contracts.waste import CellRegistered, FlowStage, WasteCategory

SYSTEM = load_indicator_system()
CELL = CellRegistered(
    cell_id="cell-1", name="Cell", cell_type="hotel", district="Huangpu", population=10
)


def stored_months(*keys: str) -> dict[str, object]:
    months: dict[str, object] = {}
    for key in keys:
        flows = PeriodFlows(
            "cell-1",
            Period.parse(key),
            mass={(WasteCategory.HOUSEHOLD_WET, FlowStage.GENERATED): Mass(100, 1)},
            facts={Fact.FLOW_EVENTS: 1},
        )
        months[month_key("cell-1", flows.period)] = flows.to_state()
    return months


def test_a_registered_cell_is_measured_against_its_types_baseline() -> None:
    profile = profile_of(CELL, SYSTEM)

    assert (profile.cell_type, profile.baseline_kg_per_person_day) == ("hotel", 2.0)


AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def publisher(
    months: dict[str, object], registered: bool = True, **settings: Any
) -> ScorePublisher:
    cells: Latest[CellRegistered] = Latest()
    if registered:
        cells.put(CELL.cell_id, CELL)
    index = sorted({key.split("|")[1] for key in months})
    stores = Stores(totals={}, months=months, ledger={}, index={"cell-1": index})
    return ScorePublisher(ScoringSettings(**settings), SYSTEM, cells, stores)


def published(records: list[tuple[bytes, bytes]]) -> dict[str, CellScoreUpdated]:
    found = {}
    for key, value in records:
        payload = unwrap(CloudEvent.from_bytes(value))
        assert isinstance(payload, CellScoreUpdated)
        found[key.decode()] = payload
    return found


def test_a_month_change_makes_the_month_its_quarter_and_its_year_due_once() -> None:
    scores = publisher(stored_months("2026-10", "2026-11", "2026-03"))
    month = PeriodFlows.from_state(stored_months("2026-11")["cell-1|2026-11"])  # type: ignore[arg-type]

    scores.mark_month(month, "e-1", AT)
    scores.mark_month(month, "e-2", AT)  # a second event changing the same month
    records = published(scores.records(scores.take_due(100)))

    assert {key: s.flow_events for key, s in records.items()} == {
        "cell-1/2026-11/shanghai-cells-v1": 1,
        "cell-1/2026-Q4/shanghai-cells-v1": 2,
        "cell-1/2026/shanghai-cells-v1": 3,
    }
    assert scores.due == 0


def test_a_cell_registered_late_is_scored_for_every_period_it_has_data_in() -> None:
    scores = publisher(stored_months("2026-10", "2026-11", "2025-12"))

    scores.mark_cell("cell-1", "registration")
    records = published(scores.records(scores.take_due(100)))

    assert sorted(s.period for s in records.values()) == sorted(
        ["2025", "2025-12", "2025-Q4", "2026", "2026-10", "2026-11", "2026-Q4"]
    )


def test_an_unregistered_cell_has_scores_due_but_none_published() -> None:
    scores = publisher(stored_months("2026-11"), registered=False)

    scores.mark_cell("cell-1", "rebalance")

    assert scores.due == 3
    assert scores.records(scores.take_due(100)) == []


def test_scores_taken_before_the_registry_knew_the_cell_are_due_again_as_they_were() -> None:
    # counting can come before the worker has read the cell registry
    months = stored_months("2026-11")
    scores = publisher(months, registered=False)
    month = PeriodFlows.from_state(months["cell-1|2026-11"])  # type: ignore[arg-type]
    scores.mark_month(month, "e-7", AT)
    assert scores.records(scores.take_due(100)) == []
    assert scores.mark_waiting() == 0  # still not registered: they go on waiting

    scores._cells.put(CELL.cell_id, CELL)  # the registry read to its end
    assert scores.mark_waiting() == 3
    records = published(scores.records(scores.take_due(100)))

    assert sorted(records) == [
        "cell-1/2026-11/shanghai-cells-v1",
        "cell-1/2026-Q4/shanghai-cells-v1",
        "cell-1/2026/shanghai-cells-v1",
    ]

    # the score of the event that changed it, not of the time the registry was read
    def month_of(cell_id: str, period: Period) -> PeriodFlows | None:
        state = months.get(month_key(cell_id, period))
        return None if state is None else PeriodFlows.from_state(state)  # type: ignore[arg-type]

    expected = score_of(SYSTEM, profile_of(CELL, SYSTEM), Period.parse("2026-11"), month_of,
                        AT.date())  # fmt: skip
    assert records["cell-1/2026-11/shanghai-cells-v1"] == score_updated(expected, AT.date())
    assert scores.mark_waiting() == 0  # marked once


async def test_the_background_task_publishes_every_due_score_in_rounds() -> None:
    scores = publisher(stored_months("2026-10", "2026-11", "2025-12"), score_round_max=2)
    rounds: list[list[tuple[bytes, bytes]]] = []

    async def send(records: list[tuple[bytes, bytes]]) -> list[Awaitable[Any]]:
        rounds.append(records)
        return []

    task = asyncio.create_task(scores.run(send))
    scores.mark_all("rebalance")
    try:
        for _ in range(100):
            if scores.due == 0 and sum(map(len, rounds)) == 7:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()

    assert [len(r) for r in rounds] == [2, 2, 2, 1]


def test_a_published_score_is_keyed_by_cell_period_and_system_version_as_of_the_period() -> None:
    months = stored_months("2026-10")

    def month_of(cell_id: str, month: Period) -> PeriodFlows | None:
        state = months.get(month_key(cell_id, month))
        return PeriodFlows.from_state(state) if state else None  # type: ignore[arg-type]

    score = score_of(
        SYSTEM, profile_of(CELL, SYSTEM), Period.parse("2026-10"), month_of, date(2026, 11, 24)
    )

    assert score_key(score) == "cell-1/2026-10/shanghai-cells-v1"
    assert score_updated(score, date(2026, 11, 24)).as_of == "2026-10-31"


@pytest.mark.parametrize("share", [0.0, 1.5])
def test_the_share_of_time_scores_take_is_a_fraction(share: float) -> None:
    with pytest.raises(ValueError, match="score_busy_share"):
        ScoringSettings(score_busy_share=share)


def test_a_quarter_and_a_year_are_made_of_their_months() -> None:
    assert [m.key for m in Period.parse("2026-Q2").months()] == ["2026-04", "2026-05", "2026-06"]
    assert len(Period.parse("2026").months()) == 12
    assert Period.parse("2026-02").months() == (Period.parse("2026-02"),)


def test_the_index_is_rebuilt_from_the_months_of_the_workers_own_cells_only() -> None:
    months = {**stored_months("2026-11", "2026-02"), "other|2026-11": {}, "cell-1|2025-12": {}}
    stores = Stores(totals={}, months=months, ledger={}, index={"stale": ["2020-01"]})

    cells = rebuild_index(stores, owns=lambda cell_id: cell_id == "cell-1")

    assert cells == 1
    assert stores.index == {"cell-1": ["2025-12", "2026-02", "2026-11"]}


async def test_a_round_that_could_not_be_sent_is_due_again() -> None:
    scores = publisher(stored_months("2026-11"))
    attempts: list[int] = []

    async def send(records: list[tuple[bytes, bytes]]) -> list[Awaitable[Any]]:
        attempts.append(len(records))
        if len(attempts) == 1:
            raise ConnectionError("broker away")
        return []

    scores.mark_cell("cell-1", "rebalance")
    with pytest.raises(ConnectionError):
        await scores._publish_round(send)
    assert scores.due == 3
    await scores._publish_round(send)

    assert (attempts, scores.due) == ([3, 3], 0)


def test_after_a_rebalance_the_scores_due_for_cells_gone_elsewhere_are_forgotten() -> None:
    cells: Latest[CellRegistered] = Latest()
    for cell in (CELL, CELL.model_copy(update={"cell_id": "cell-2"})):
        cells.put(cell.cell_id, cell)
    stores = Stores(totals={}, months=stored_months("2026-11"), ledger={}, index={})
    scores = ScorePublisher(ScoringSettings(), SYSTEM, cells, stores)
    # both cells changed; then cell-2's partition went to another worker, with its months
    scores.mark_month(PeriodFlows("cell-2", Period.parse("2026-11")), "e-9", AT)
    scores.mark_month(PeriodFlows("cell-1", Period.parse("2026-11")), "e-10", AT)

    forgotten = scores.keep_only(lambda cell_id: cell_id == "cell-1")
    records = published(scores.records(scores.take_due(100)))

    assert forgotten == 3
    assert sorted(records) == [
        "cell-1/2026-11/shanghai-cells-v1",
        "cell-1/2026-Q4/shanghai-cells-v1",
        "cell-1/2026/shanghai-cells-v1",
    ]


async def test_a_closed_producer_leaves_the_scores_due_without_logging_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(score_publisher, "RETRY_S", 0.01)
    scores = publisher(stored_months("2026-11"))
    sent: list[int] = []

    async def send(records: list[tuple[bytes, bytes]]) -> list[Awaitable[Any]]:
        if not sent:
            sent.append(0)
            raise ProducerClosed()  # the worker is stopping (or its producer restarting)
        sent.append(len(records))
        return []

    task = asyncio.create_task(scores.run(send))
    scores.mark_cell("cell-1", "rebalance")
    try:
        for _ in range(200):
            if scores.due == 0 and sum(sent) == 3:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()

    assert (sent, scores.due) == ([0, 3], 0)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_scores_use_the_counting_paths_decoded_months_and_follow_a_state_replaced_since() -> None:
    months = stored_months("2026-11")
    key = month_key("cell-1", Period.parse("2026-11"))
    month = Period.parse("2026-11")

    def flows(events: int) -> PeriodFlows:
        mass = {(WasteCategory.HOUSEHOLD_WET, FlowStage.GENERATED): Mass(100, events)}
        return PeriodFlows("cell-1", month, mass=mass, facts={Fact.FLOW_EVENTS: events})

    shared: DecodedStates[PeriodFlows] = DecodedStates(PeriodFlows.from_state, 16)
    # what the ledger holds for the state it wrote (7 events here, to tell it apart from a
    # decoding of the stored state, which has 1)
    shared.put(key, months[key], flows(7))
    cells: Latest[CellRegistered] = Latest()
    cells.put(CELL.cell_id, CELL)
    stores = Stores(totals={}, months=months, ledger={}, index={"cell-1": ["2026-11"]})
    scores = ScorePublisher(ScoringSettings(), SYSTEM, cells, stores, shared)

    scores.mark_month(flows(7), "e-1", AT)
    first = published(scores.records(scores.take_due(100)))
    # a changelog recovery or a repair replaces the stored state: it is decoded again
    months[key] = flows(3).to_state()
    scores.mark_month(flows(3), "e-2", AT)
    second = published(scores.records(scores.take_due(100)))

    score_id = f"cell-1/2026-11/{SYSTEM.id}-v{SYSTEM.version}"
    assert (first[score_id].flow_events, second[score_id].flow_events) == (7, 3)
