"""Hazardous-waste manifests in their shipper's cell month: what each manifest counts, how a
month takes a manifest's facts as they change, and the indicator and veto of the default
system (shanghai-cells-v1.yaml). Every expected figure is worked out by hand here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from scoring_manifest_builders import (
    SHIPPER,
    corrected,
    delivered,
    discrepancy,
    drafted,
    key_of,
    overdue,
    picked_up,
    receipt_corrected,
    received,
)

from scoring.adapters.indicator_config import load_indicator_system
from scoring.domain.cells import CellProfile, CellType
from scoring.domain.hazardous import Contribution
from scoring.domain.indicators.scoring import CellScore, IndicatorResult, score_cell
from scoring.domain.period_flows import Fact, PeriodFlows
from scoring.domain.periods import Period
from scoring.handlers import FlowLedger, Outcome, Refused, Stores
from scoring.manifest_handlers import (
    Folded,
    ManifestFolder,
    count_contribution,
    manifest_facts_changed,
)
from zw_shared.contracts.hazardous import ManifestEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
SYSTEM = load_indicator_system()
NOVEMBER = Period.parse("2026-11")
F = Fact


class Fold:
    """A folder over plain dicts, with a facility registry the test can change."""

    def __init__(self, cells: dict[str, str] | None = None) -> None:
        self.cells = {SHIPPER: "cell-1"} if cells is None else cells
        self.records: dict[str, Any] = {}
        self.folder = ManifestFolder(self.records, self.cells.get, SHANGHAI)

    def all(self, *events: ManifestEvent) -> tuple[Folded, Contribution | None]:
        result: tuple[Folded, Contribution | None] = (Folded.UNMAPPED, None)
        for event in events:
            result = self.folder.fold(event, key_of(event))
        return result

    def facts(self, *events: ManifestEvent) -> dict[Fact, float]:
        _, contribution = self.all(*events)
        assert contribution is not None
        return contribution.facts


def a_ledger() -> tuple[FlowLedger, Stores]:
    stores = Stores(totals={}, months={}, ledger={}, index={})
    return FlowLedger(stores, SHANGHAI, timedelta(hours=72)), stores


def month_of(stores: Stores, key: str = "cell-1|2026-11") -> PeriodFlows:
    return PeriodFlows.from_state(stores.months[key])


# --- what one manifest counts


def test_a_manifest_on_its_way_counts_as_shipped_but_is_not_yet_judged() -> None:
    assert Fold().facts(drafted(1_200), picked_up(), delivered()) == {F.MANIFESTS_TOTAL: 1}


def test_a_manifest_received_within_its_deadline_is_closed_on_time_with_its_kg() -> None:
    facts = Fold().facts(drafted(1_200), picked_up(), delivered(), received(1_200))

    assert facts == {
        F.MANIFESTS_TOTAL: 1,
        F.MANIFESTS_CLOSED: 1,
        F.MANIFESTS_CLOSED_ON_TIME: 1,
        F.MANIFEST_KG_DUE: 1_200,
        F.MANIFEST_KG_CLOSED_ON_TIME: 1_200,
    }


def test_an_overdue_manifest_is_due_and_stays_late_when_received_afterwards() -> None:
    fold = Fold()
    waiting = fold.facts(drafted(800), delivered(), overdue())
    late = fold.facts(received(800, days=10))

    assert waiting == {F.MANIFESTS_TOTAL: 1, F.MANIFESTS_OVERDUE: 1, F.MANIFEST_KG_DUE: 800}
    assert late == {**waiting, F.MANIFESTS_CLOSED: 1}


def test_a_partly_refused_load_with_a_discrepancy_counts_both() -> None:
    facts = Fold().facts(drafted(1_000), received(900, refused_kg=100), discrepancy(1_000, 900))

    assert facts[F.MANIFESTS_REFUSED] == 1
    assert facts[F.MANIFESTS_WITH_DISCREPANCY] == 1
    assert facts[F.MANIFEST_KG_CLOSED_ON_TIME] == 1_000  # the declared quantity


def test_a_correction_changes_the_declared_kilograms() -> None:
    facts = Fold().facts(drafted(1_000), received(950), corrected(950))

    assert (facts[F.MANIFEST_KG_DUE], facts[F.MANIFEST_KG_CLOSED_ON_TIME]) == (950, 950)


def test_a_corrected_receipt_decides_whether_the_load_counts_as_refused() -> None:
    fold = Fold()
    refused = fold.facts(drafted(1_000), received(900, refused_kg=100))
    corrected_to_accepted = fold.facts(receipt_corrected(1_000, refused_kg=0))
    corrected_to_refused = Fold().facts(
        drafted(1_000), received(1_000), receipt_corrected(700, 300)
    )

    assert refused[F.MANIFESTS_REFUSED] == 1
    assert F.MANIFESTS_REFUSED not in corrected_to_accepted
    assert corrected_to_accepted[F.MANIFESTS_CLOSED_ON_TIME] == 1
    assert corrected_to_refused[F.MANIFESTS_REFUSED] == 1


def test_a_repeated_event_changes_nothing_and_keeps_the_sequence() -> None:
    fold = Fold()
    fold.all(drafted(500), received(500))
    outcome, contribution = fold.all(received(500))

    assert outcome is Folded.DUPLICATE
    assert contribution is not None
    assert contribution.sequence == 2


def test_a_manifest_belongs_to_the_shanghai_month_it_was_drafted_in() -> None:
    late_on_31_october_utc = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)  # 1 Nov 01:00 local

    _, contribution = Fold().all(drafted(100, at=late_on_31_october_utc))

    assert contribution is not None
    assert contribution.month == NOVEMBER


def test_a_back_filled_paper_manifest_belongs_to_the_month_of_the_paper() -> None:
    _, contribution = Fold().all(drafted(100, paper_issued_on=date(2026, 10, 28)))

    assert contribution is not None
    assert contribution.month.key == "2026-10"


def test_a_manifest_of_an_unregistered_shipper_counts_once_the_facility_is_registered() -> None:
    fold = Fold(cells={})
    unmapped = fold.all(drafted(300), delivered())
    fold.cells[SHIPPER] = "cell-9"
    _, contribution = fold.all(received(300))

    assert unmapped == (Folded.UNMAPPED, None)
    assert contribution is not None
    assert (contribution.cell_id, contribution.sequence) == ("cell-9", 3)
    assert contribution.facts[F.MANIFEST_KG_CLOSED_ON_TIME] == 300


def test_a_manifest_stays_in_the_cell_it_was_first_counted_in() -> None:
    fold = Fold()
    fold.all(drafted(300))
    fold.cells[SHIPPER] = "cell-2"
    _, contribution = fold.all(received(300))

    assert contribution is not None
    assert contribution.cell_id == "cell-1"


# --- a cell month takes each manifest's latest facts


def test_each_change_of_a_manifest_replaces_its_facts_in_the_month() -> None:
    fold, (ledger, stores) = Fold(), a_ledger()
    other = "20263101000002"
    for event in (drafted(0.1), drafted(0.2, number=other), received(0.1)):
        _, contribution = fold.all(event)
        assert contribution is not None
        count_contribution(ledger, manifest_facts_changed(contribution))
    on_its_way = month_of(stores).facts
    _, last = fold.all(received(0.2, number=other))
    assert last is not None
    count_contribution(ledger, manifest_facts_changed(last))

    # the first is closed (0.1 kg); the second still on its way: shipped, not judged
    assert on_its_way == {
        F.MANIFESTS_TOTAL: 2,
        F.MANIFESTS_CLOSED: 1,
        F.MANIFESTS_CLOSED_ON_TIME: 1,
        F.MANIFEST_KG_DUE: 0.1,
        F.MANIFEST_KG_CLOSED_ON_TIME: 0.1,
    }
    # 0.1 + 0.2 kg is 0.3 exactly (facts are rounded like masses)
    assert month_of(stores).facts == {
        F.MANIFESTS_TOTAL: 2,
        F.MANIFESTS_CLOSED: 2,
        F.MANIFESTS_CLOSED_ON_TIME: 2,
        F.MANIFEST_KG_DUE: 0.3,
        F.MANIFEST_KG_CLOSED_ON_TIME: 0.3,
    }


def test_a_stale_or_repeated_contribution_changes_nothing() -> None:
    ledger, stores = a_ledger()
    fold = Fold()
    _, first = fold.all(drafted(700))
    _, second = fold.all(received(700))
    assert first is not None
    assert second is not None
    count_contribution(ledger, manifest_facts_changed(second))
    before = dict(stores.months)

    stale = count_contribution(ledger, manifest_facts_changed(first))
    repeat = count_contribution(ledger, manifest_facts_changed(second))

    assert (stale.outcome, repeat.outcome) == (Outcome.DUPLICATE, Outcome.DUPLICATE)
    assert (stale.months, repeat.months, stores.months) == ((), (), before)


def test_a_manifest_counted_for_one_cell_is_refused_for_another() -> None:
    ledger, _ = a_ledger()
    _, contribution = Fold().all(drafted(10))
    assert contribution is not None
    count_contribution(ledger, manifest_facts_changed(contribution))
    moved = manifest_facts_changed(contribution).model_copy(
        update={"cell_id": "cell-2", "sequence": 2}
    )

    with pytest.raises(Refused, match="counted for cell 'cell-1'"):
        count_contribution(ledger, moved)


def test_manifest_facts_add_to_the_flows_already_in_the_month() -> None:
    ledger, stores = a_ledger()
    _, contribution = Fold().all(drafted(10))
    assert contribution is not None
    ledger.replace_facts("@other", "cell-1", NOVEMBER, {F.SURVEYS: 1}, 1)

    applied = count_contribution(ledger, manifest_facts_changed(contribution))

    assert applied.outcome is Outcome.FACTS_REPLACED
    assert month_of(stores).facts == {F.SURVEYS: 1, F.MANIFESTS_TOTAL: 1}
    assert stores.index["cell-1"] == ["2026-11"]


# --- the indicator and the veto (shanghai-cells-v1)


def a_factory() -> CellProfile:
    return CellProfile("cell-1", CellType.FACTORY, "Jinshan", 200, 0.6)


def score(facts: dict[Fact, float], profile: CellProfile | None = None) -> CellScore:
    flows = PeriodFlows("cell-1", NOVEMBER, facts=facts)
    return score_cell(SYSTEM, profile or a_factory(), flows, date(2026, 11, 30))


def manifest_result(scored: CellScore) -> IndicatorResult:
    return next(i for i in scored.indicators if i.id == "hazardous_manifest_compliance")


def test_the_indicator_is_the_share_of_due_kg_moved_under_closed_on_time_manifests() -> None:
    # 4,500 of 5,000 kg closed on time: 0.9, halfway from floor 0.8 to target 1.0: 10 * 0.5
    result = manifest_result(score({F.MANIFEST_KG_DUE: 5_000, F.MANIFEST_KG_CLOSED_ON_TIME: 4_500}))

    assert (result.value, result.points, result.status) == (
        pytest.approx(0.9),
        pytest.approx(5.0),
        "partial",
    )
    assert result.counts == {"numerator": 4_500, "denominator": 5_000}


def test_all_due_kg_closed_on_time_earns_the_full_ten_points() -> None:
    result = manifest_result(score({F.MANIFEST_KG_DUE: 1_200, F.MANIFEST_KG_CLOSED_ON_TIME: 1_200}))

    assert (result.value, result.points, result.status) == (1.0, 10.0, "met")


def test_shipments_not_yet_due_leave_the_indicator_out_of_the_score() -> None:
    result = manifest_result(score({F.MANIFESTS_TOTAL: 3}))

    assert (result.value, result.points, result.status) == (None, 0.0, "excluded")


def test_an_overdue_manifest_disqualifies_a_factory() -> None:
    scored = score({F.MANIFESTS_TOTAL: 1, F.MANIFESTS_OVERDUE: 1, F.MANIFEST_KG_DUE: 800})

    veto = next(v for v in scored.vetoes if v.id == "hazardous_manifest_overdue_or_refused")
    assert (veto.count, veto.triggered) == (1, True)
    assert (scored.qualified, scored.band) == (False, "disqualified")


def test_a_discrepancy_alone_does_not_disqualify() -> None:
    scored = score({F.MANIFESTS_TOTAL: 1, F.MANIFESTS_WITH_DISCREPANCY: 1})

    assert scored.qualified
