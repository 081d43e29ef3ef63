"""Totals and months derived again from the ledger after a restore (scoring.reconcile): a
worker that died while a batch's changelog records were on their way may have left the
ledger's entries without the totals and months that count them, or the other way round."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.period_flows import Fact, PeriodFlows
from scoring.domain.periods import Period
from scoring.domain.totals import CellTotals
from scoring.handlers import FlowLedger, Stores, rebuild_index
from scoring.reconcile import repairs
from zw_shared.contracts.scoring import CellAssessed
from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded, WasteFlowVoided

SHANGHAI = ZoneInfo("Asia/Shanghai")
ON_TIME = timedelta(hours=72)
AT = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def a_ledger() -> tuple[FlowLedger, Stores]:
    stores = Stores(totals={}, months={}, ledger={}, index={})
    return FlowLedger(stores, SHANGHAI, ON_TIME), stores


def a_flow(event_id: str, kg: float, cell_id: str = "cell-1", **fields: Any) -> WasteFlowRecorded:
    return WasteFlowRecorded(
        event_id=event_id, facility_id="fac-1", cell_id=cell_id, stage="generated",
        category="household_wet", quantity_kg=kg, reported_quantity=kg, reported_unit="kg",
        occurred_at=AT, **fields,
    )  # fmt: skip


def an_inspection(assessment_id: str = "a-1") -> CellAssessed:
    return CellAssessed(
        assessment_id=assessment_id, cell_id="cell-1", kind="inspection", assessor="team",
        occurred_at=AT, passed=False, serious_violation=True,
    )  # fmt: skip


def a_busy_cell() -> tuple[FlowLedger, Stores]:
    """Flows, a correction, a void, an inspection and a manifest's facts, all applied."""
    ledger, stores = a_ledger()
    ledger.record(a_flow("e1", 10.0), AT)
    ledger.record(a_flow("e2", 2.5), AT)
    ledger.record(a_flow("e3", 4.0), AT + timedelta(days=5))  # reported late
    ledger.correct(
        WasteFlowCorrected(
            event_id="c1",
            facility_id="fac-1",
            cell_id="cell-1",
            corrects_event_id="e1",
            stage="generated",
            category="household_dry",
            quantity_kg=7.0,
            reported_quantity=7.0,
            reported_unit="kg",
            occurred_at=AT,
            reason="weighed again",
        ),
        AT,
    )
    ledger.void(
        WasteFlowVoided(
            event_id="v1",
            facility_id="fac-1",
            cell_id="cell-1",
            voids_event_id="e2",
            reason="sent twice",
        )
    )
    ledger.assess(an_inspection())
    ledger.replace_facts(
        "@manifest/20263105000001", "cell-1", Period.parse("2026-11"),
        {Fact.MANIFESTS_TOTAL: 1.0, Fact.MANIFESTS_CLOSED: 1.0}, sequence=3,
    )  # fmt: skip
    rebuild_index(stores, lambda cell: True)
    return ledger, stores


def repairs_of(stores: Stores) -> list[Any]:
    rebuild_index(stores, lambda cell: True)
    return repairs(stores, lambda cell: True, SHANGHAI, ON_TIME)


def test_tables_that_agree_with_their_ledger_need_no_repair() -> None:
    _, stores = a_busy_cell()

    assert repairs_of(stores) == []


def test_a_ledger_entry_whose_totals_and_month_never_landed_is_counted_by_the_repair() -> None:
    ledger, stores = a_busy_cell()
    before = (copy.deepcopy(stores.totals), copy.deepcopy(stores.months))
    ledger.record(a_flow("e4", 1.25), AT)
    after = (copy.deepcopy(stores.totals), copy.deepcopy(stores.months))
    stores.totals.clear()
    stores.totals.update(before[0])  # only the ledger's record of e4 reached the broker
    stores.months.clear()
    stores.months.update(before[1])

    (repair,) = repairs_of(stores)

    assert repair.totals is not None
    assert (repair.totals.event_count, repair.totals.total_kg) == (3, 12.25)
    assert repair.totals.to_state() == CellTotals.from_state(after[0]["cell-1"]).to_state()
    (month,) = repair.months
    assert month.to_state() == after[1]["cell-1|2026-11"]


def test_totals_that_count_an_event_the_ledger_does_not_know_are_taken_back() -> None:
    ledger, stores = a_busy_cell()
    entries = copy.deepcopy(stores.ledger)
    ledger.record(a_flow("e4", 1.25), AT)
    stores.ledger.clear()
    stores.ledger.update(entries)  # e4's totals and month landed, its ledger entry did not

    (repair,) = repairs_of(stores)

    assert repair.totals is not None
    assert (repair.totals.event_count, repair.totals.total_kg) == (2, 11.0)
    (month,) = repair.months
    assert month.mass_of(None, ["generated"]).events == 2
    assert month.fact(Fact.INSPECTIONS_TOTAL) == 1  # what the ledger knows stays


def test_a_month_the_ledger_knows_nothing_of_is_emptied() -> None:
    ledger, stores = a_ledger()
    ledger.record(a_flow("e1", 3.0), AT)
    stores.ledger.clear()

    (repair,) = repairs_of(stores)

    (month,) = repair.months
    assert month == PeriodFlows("cell-1", Period.parse("2026-11"))
    assert repair.totals is not None
    assert repair.totals.event_count == 0


def test_an_assessment_counted_before_entries_kept_their_facts_leaves_its_cell_alone() -> None:
    ledger, stores = a_ledger()
    ledger.assess(an_inspection())
    del stores.ledger["@assessment/a-1"]["facts"]
    stores.totals["cell-1"] = CellTotals(cell_id="cell-1", event_count=5).to_state()

    assert repairs_of(stores) == []


def test_only_the_workers_own_cells_are_checked() -> None:
    ledger, stores = a_ledger()
    ledger.record(a_flow("e1", 3.0, cell_id="mine"), AT)
    ledger.record(a_flow("e2", 3.0, cell_id="theirs"), AT)
    stores.totals.clear()
    rebuild_index(stores, lambda cell: cell == "mine")

    found = repairs(stores, lambda cell: cell == "mine", SHANGHAI, ON_TIME)

    assert [repair.cell_id for repair in found] == ["mine"]


def test_a_check_of_some_of_the_workers_cells_leaves_its_other_cells_alone() -> None:
    # after a rebalance only the cells of the partitions the worker gained are checked;
    # the index still holds every cell of the worker's
    ledger, stores = a_ledger()
    ledger.record(a_flow("e1", 3.0, cell_id="kept"), AT)
    ledger.record(a_flow("e2", 4.0, cell_id="gained"), AT)
    stores.totals.pop("gained")  # its totals never landed
    rebuild_index(stores, lambda cell: True)

    found = repairs(stores, lambda cell: cell == "gained", SHANGHAI, ON_TIME)

    assert [repair.cell_id for repair in found] == ["gained"]
