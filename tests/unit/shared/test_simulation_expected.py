"""The district-day simulator's own model of what the services must show (no I/O)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest

from zw_shared.simulation.cli import the_day
from zw_shared.simulation.district import DistrictDay, plan_day
from zw_shared.simulation.expected import cell_totals, expected_results, manifest_compliance, vetoes
from zw_shared.simulation.manifest_fold import AmbiguousDeadline, discrepancy_kinds, fold
from zw_shared.simulation.manifest_steps import steps_of
from zw_shared.simulation.records import (
    CST,
    Assessment,
    Cell,
    Correction,
    Facility,
    FlowReport,
    Void,
)
from zw_shared.simulation.transfers import Application, Fate, ManifestPlan, TransferPlan

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DECLARED = {
    "waste_code": "900-041-49",
    "waste_name": "drums",
    "quantity_kg": 1000.0,
    "form": "solid",
    "packaging": "steel drums",
}


def a_manifest(
    fate: Fate,
    cell_type: str = "factory",
    drafted_on: date = DAY,
    paper_issued_on: date | None = None,
    cell_id: str = "cell-a",
) -> ManifestPlan:
    app = Application(
        "app",
        "shipper-a",
        "receiver-32",
        "32",
        "900-041-49",
        datetime.combine(drafted_on, time(7), CST),
    )
    drafted_at = datetime.combine(drafted_on, time(9), CST)
    carriers = ("carrier-1", "carrier-2") if fate is Fate.RELAY_CLOSED else ("carrier-1",)
    steps = steps_of(fate.value, drafted_at, carriers, "receiver-32", "shipper-a", DECLARED)
    return ManifestPlan(
        f"m-{fate.value}",
        fate,
        "shipper-a",
        cell_id,
        cell_type,
        app,
        carriers,
        DECLARED,
        drafted_at,
        paper_issued_on,
        steps,
    )


def a_report(
    event_id: str, kg: float, stage: str = "generated", facility: str = "gen-1", unit: str = "kg"
) -> FlowReport:
    return FlowReport(
        facility, event_id, stage, "household_wet", kg, unit, datetime.combine(DAY, time(8), CST)
    )


def a_district(*reports: FlowReport, manifests: tuple[ManifestPlan, ...] = ()) -> DistrictDay:
    cells = [Cell("cell-a", "A", "factory", "Xuhui", 100), Cell("cell-b", "B", "hotel", "Xuhui", 9)]
    facilities = [
        Facility("gen-1", "G1", "generator", "cell-a", "Xuhui"),
        Facility("gen-2", "G2", "generator", "cell-b", "Xuhui"),
    ]
    day = DistrictDay(DAY, cells, facilities, batched={"gen-1": list(reports)})
    day.transfers = TransferPlan(manifests=list(manifests))
    return day


def test_the_same_seed_and_day_plan_the_same_day_and_the_same_expectations() -> None:
    first = expected_results(plan_day(DAY, seed=7), NOW)
    second = expected_results(plan_day(DAY, seed=7), NOW)

    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_another_seed_plans_other_quantities() -> None:
    first = cell_totals(plan_day(DAY, seed=7))
    second = cell_totals(plan_day(DAY, seed=8))

    assert first != second


def test_a_day_has_hundreds_of_facilities_dozens_of_cells_and_a_few_dozen_manifests() -> None:
    plan = plan_day(DAY, seed=7)

    assert plan.transfers is not None
    assert len(plan.facilities) >= 300
    assert len(plan.cells) > 30
    assert len({c.cell_type for c in plan.cells}) == 11
    assert 24 <= len(plan.transfers.manifests) <= 48
    assert set(Fate) <= {m.fate for m in plan.transfers.manifests}
    assert min(map(len, (plan.singles, plan.repeats, plan.corrections, plan.voids))) > 0


def test_every_event_id_is_unique_per_facility_and_fits_the_intake_api() -> None:
    plan = plan_day(DAY, seed=7)
    ids = [(r.facility_id, r.event_id) for r in plan.reports]
    ids += [(c.report.facility_id, c.report.event_id) for c in plan.corrections]
    ids += [(v.facility_id, v.event_id) for v in plan.voids]

    assert max(len(event_id) for _, event_id in ids) <= 64
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_a_flow_counts_once_in_its_facilitys_cell_however_often_it_is_posted() -> None:
    plan = a_district(a_report("e1", 10.0), a_report("e2", 2.5, unit="t"))
    plan.repeats = [a_report("e1", 10.0)]

    totals = cell_totals(plan)

    assert (totals["cell-a"].event_count, totals["cell-a"].total_kg) == (2, 2510.0)
    assert (totals["cell-b"].event_count, totals["cell-b"].total_kg) == (0, 0.0)


def test_a_correction_replaces_the_quantity_and_a_void_takes_the_flow_out() -> None:
    plan = a_district(a_report("e1", 10.0), a_report("e2", 4.0), a_report("e3", 1.0, "received"))
    plan.corrections = [Correction("e1", a_report("e1-fix", 12.5), "weighed again")]
    plan.voids = [Void("gen-1", "e2", "e2-void", "sent twice")]

    totals = cell_totals(plan)["cell-a"]

    assert (totals.event_count, totals.total_kg) == (2, 13.5)
    assert totals.kg_by_stage == {"generated": 12.5, "received": 1.0}


@pytest.mark.parametrize(
    ("fate", "status", "refused", "kinds"),
    [
        (Fate.CLOSED, "processed", False, ()),
        (Fate.RELAY_CLOSED, "processed", False, ()),
        (Fate.WEIGHT_DISCREPANCY, "processed", False, ("quantity",)),
        (Fate.WEIGHT_WITHIN_TOLERANCE, "processed", False, ()),
        (Fate.PARTIAL_REFUSAL, "processed", True, ("rejection",)),
        (Fate.FULL_REFUSAL, "received", True, ("rejection",)),
        (Fate.REFUSAL_CORRECTED_AWAY, "processed", False, ("rejection",)),
        (Fate.RECEIPT_CORRECTED_TO_REFUSAL, "processed", True, ("rejection",)),
        (Fate.IN_TRANSIT, "in_transit", False, ()),
        (Fate.AWAITING_RECEIPT, "delivered", False, ()),
    ],
)
def test_a_manifest_ends_in_the_state_its_acts_lead_to(
    fate: Fate, status: str, refused: bool, kinds: tuple[str, ...]
) -> None:
    state = fold(a_manifest(fate), NOW)

    assert (state.status, state.refused, state.discrepancy_kinds) == (status, refused, kinds)
    assert not state.overdue


def test_a_delivery_weeks_old_and_never_confirmed_is_overdue() -> None:
    state = fold(a_manifest(Fate.OVERDUE_RECEIPT, drafted_on=DAY - timedelta(days=20)), NOW)

    assert (state.status, state.overdue_steps) == ("delivered", ["receipt_confirmation"])


def test_a_delivery_close_to_its_deadline_is_refused_by_the_calendar_free_model() -> None:
    with pytest.raises(AmbiguousDeadline):
        fold(a_manifest(Fate.OVERDUE_RECEIPT, drafted_on=DAY - timedelta(days=8)), NOW)


def test_a_paper_manifest_entered_weeks_late_is_overdue_in_the_month_of_its_paper() -> None:
    paper = date(2026, 10, 30)
    state = fold(a_manifest(Fate.LATE_PAPER_BACKFILL, paper_issued_on=paper), NOW)

    assert (state.overdue_steps, state.shipped_on, state.status) == (
        ["paper_backfill"],
        paper,
        "processed",
    )


def test_a_shipper_correction_sets_the_declared_weight_the_receipt_is_checked_against() -> None:
    state = fold(a_manifest(Fate.DECLARATION_CORRECTED), NOW)

    assert (state.declared_kg, state.discrepancy_kinds) == (900.0, ())


def test_a_discrepancy_is_found_only_beyond_the_tolerance_or_in_the_kind_of_waste() -> None:
    seen = {
        "accepted_kg": 960.0,
        "refused_kg": 0.0,
        "observed_code": "900-041-49",
        "observed_form": "solid",
        "observed_packaging": "Steel Drums ",
    }

    assert discrepancy_kinds(1000.0, seen, DECLARED) == ()
    assert discrepancy_kinds(1000.0, {**seen, "accepted_kg": 940.0}, DECLARED) == ("quantity",)
    liquid = {**seen, "observed_form": "liquid"}
    assert discrepancy_kinds(1000.0, liquid, DECLARED) == ("form",)


def test_an_overdue_or_refused_manifest_vetoes_only_the_cell_types_the_veto_applies_to() -> None:
    overdue_on = DAY - timedelta(days=20)
    plan = a_district(
        manifests=(
            a_manifest(Fate.OVERDUE_RECEIPT, "factory", overdue_on),
            a_manifest(Fate.FULL_REFUSAL, "hotel", cell_id="cell-b"),
        )
    )

    assert vetoes(plan, NOW) == {"2026-11": {"cell-a": ["hazardous_manifest_overdue_or_refused"]}}


def test_a_serious_violation_vetoes_a_cell_of_any_type_in_its_month() -> None:
    plan = a_district()
    at = datetime.combine(DAY, time(10), CST)
    plan.assessments = [
        Assessment("cell-b", "a1", "inspection", at, False, True),
        Assessment("cell-a", "a2", "survey", at, satisfaction_score=80),
    ]

    assert vetoes(plan, NOW) == {"2026-11": {"cell-b": ["serious_violation"]}}


def test_manifest_compliance_is_kg_closed_on_time_over_kg_closed_or_overdue() -> None:
    plan = a_district(
        manifests=(
            a_manifest(Fate.CLOSED),
            a_manifest(Fate.OVERDUE_RECEIPT, drafted_on=DAY - timedelta(days=20)),
            a_manifest(Fate.IN_TRANSIT),
            a_manifest(Fate.FULL_REFUSAL, "hotel", cell_id="cell-b"),
        )
    )

    assert manifest_compliance(plan, NOW) == {"2026-11": {"cell-a": 0.5}}


def test_the_simulated_day_is_one_of_the_three_days_before_today_in_shanghai() -> None:
    now = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # already the 25th in Shanghai

    assert the_day(None, now) == date(2026, 11, 24)
    with pytest.raises(SystemExit):
        the_day(date(2026, 11, 20), now)
