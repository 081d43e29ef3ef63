"""The ledger (seen ids, histories) and the daily summary built from it."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from intake_unit_builders import NOW, a_report

from waste_intake.domain.amendments import to_corrected
from waste_intake.domain.flows import to_recorded
from waste_intake.domain.ledger import Ledger, Location, fingerprint
from waste_intake.domain.summary import summarise
from zw_shared.contracts.waste import WasteFlowVoided

AT = Location("flows", 0, 0)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _flow(event_id: str, kg: float, **overrides: object):  # type: ignore[no-untyped-def]
    report = a_report(event_id=event_id, quantity=kg, **overrides)
    return to_recorded("fac-01", "cell-1", report)


def test_applying_an_event_twice_changes_nothing() -> None:
    ledger = Ledger()
    ledger.apply(_flow("e-1", 5), AT)
    ledger.apply(_flow("e-1", 5), Location("flows", 0, 7))

    assert len(ledger) == 1
    assert ledger.lookup("fac-01/e-1").location == AT  # type: ignore[union-attr]


def test_the_fingerprint_tells_content_apart() -> None:
    assert fingerprint(_flow("e-1", 5)) == fingerprint(_flow("e-1", 5))
    assert fingerprint(_flow("e-1", 5)) != fingerprint(_flow("e-1", 6))


def test_the_daily_summary_applies_corrections_and_leaves_out_voids() -> None:
    ledger = Ledger()
    original, other, gone = _flow("e-1", 10), _flow("e-2", 4, is_estimate=True), _flow("e-3", 7)
    for flow in (original, other, gone):
        ledger.apply(flow, AT)
    ledger.apply(to_corrected(original, _flow("e-1-c", 12), "weighed"), AT)
    ledger.apply(
        WasteFlowVoided(event_id="v", voids_event_id="e-3", reason="twice",
                        facility_id="fac-01", cell_id="cell-1"), AT
    )  # fmt: skip

    day = (NOW - timedelta(hours=1)).astimezone(SHANGHAI).date()
    summary = summarise("fac-01", ledger.flows_of("fac-01"), day, SHANGHAI)

    assert (summary.flow_count, summary.total_kg, summary.estimated_kg) == (2, 16, 4)
    assert (summary.corrected_count, summary.voided_count) == (1, 1)
    assert summary.kg_by_category == {"household_wet": 16}


def test_the_summary_counts_the_local_day() -> None:
    ledger = Ledger()
    ledger.apply(_flow("late", 3, occurred_at="2026-11-23T17:30:00Z"), AT)  # 01:30 next day

    assert (
        summarise("fac-01", ledger.flows_of("fac-01"), date(2026, 11, 24), SHANGHAI).total_kg == 3
    )
    assert (
        summarise("fac-01", ledger.flows_of("fac-01"), date(2026, 11, 23), SHANGHAI).total_kg == 0
    )
