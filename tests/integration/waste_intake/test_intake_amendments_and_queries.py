"""Corrections and voids are new events referencing the old one; the history stays. The
query API shows a facility its recent flows and a daily summary with amendments applied.
Hazardous waste goes only to and through licensed facilities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from intake_support import ReadTopic, a_facility, a_report, register

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.topics import WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration
EVENTS = "/v1/facilities/fac-01/events"


def _yesterday_noon_shanghai() -> str:
    noon_utc = datetime.now(UTC).replace(hour=4, minute=0, second=0, microsecond=0)
    return (noon_utc - timedelta(days=1)).isoformat()


async def test_a_correction_replaces_the_content_and_keeps_the_history(
    intake: httpx.AsyncClient, fac01: dict[str, str], read_topic: ReadTopic, provisioned_prefix: str
) -> None:
    original = a_report(event_id="w-1", quantity=1.0, unit="t", is_estimate=True)
    await intake.post(EVENTS, json=original, headers=fac01)
    correction = {**original, "event_id": "w-1-c1", "quantity": 940, "unit": "kg"}
    correction |= {"is_estimate": False, "reason": "weighbridge ticket 88121"}

    response = await intake.post(f"{EVENTS}/w-1/corrections", json=correction, headers=fac01)
    flow = (await intake.get(f"{EVENTS}/w-1", headers=fac01)).json()

    assert response.status_code == 202, response.text
    assert flow["status"] == "corrected"
    assert flow["current"]["quantity_kg"] == 940
    assert [h["type"] for h in flow["history"]] == ["waste.flow.recorded", "waste.flow.corrected"]
    records = await read_topic(WASTE_FLOW_EVENTS.full_name(provisioned_prefix))
    last = CloudEvent.from_bytes(records[-1].value)
    assert (last.type, last.data["corrects_event_id"]) == ("waste.flow.corrected", "w-1")


async def test_a_voided_flow_leaves_the_daily_summary_and_cannot_be_amended_again(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    when = _yesterday_noon_shanghai()
    for event_id, kg in (("d-1", 100), ("d-2", 30)):
        report = a_report(event_id=event_id, quantity=kg, unit="kg", occurred_at=when)
        await intake.post(EVENTS, json=report, headers=fac01)
    void = {"event_id": "d-2-void", "reason": "entered twice"}

    voided = await intake.post(f"{EVENTS}/d-2/void", json=void, headers=fac01)
    again = await intake.post(f"{EVENTS}/d-2/void", json=void, headers=fac01)
    other = await intake.post(f"{EVENTS}/d-2/void", json={**void, "event_id": "v2"}, headers=fac01)
    day = datetime.fromisoformat(when).astimezone(UTC) + timedelta(hours=8)
    summary = await intake.get(
        "/v1/facilities/fac-01/summary/daily",
        params={"date": day.date().isoformat()},
        headers=fac01,
    )

    assert (voided.status_code, again.status_code, other.status_code) == (202, 200, 409)
    assert summary.json()["total_kg"] == 100
    assert (summary.json()["flow_count"], summary.json()["voided_count"]) == (1, 1)


async def test_correcting_an_unknown_event_is_404(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    correction = {**a_report(event_id="x-c1"), "reason": "typo"}

    response = await intake.post(f"{EVENTS}/never-sent/corrections", json=correction, headers=fac01)

    assert response.status_code == 404


async def test_recent_events_lists_the_facility_s_own_newest_first(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    for event_id in ("r-1", "r-2", "r-3"):
        await intake.post(EVENTS, json=a_report(event_id=event_id), headers=fac01)

    response = await intake.get(EVENTS, params={"limit": 2}, headers=fac01)

    assert [f["event_id"] for f in response.json()] == ["r-3", "r-2"]


async def test_hazardous_waste_is_handed_only_to_a_facility_licensed_for_its_code(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    licence = {"licence_no": "SH-HW-7", "hazardous_codes": ["900-041-49"]}
    operator = a_facility("hw-op", facility_type="hazardous_waste_operator", licences=[licence])
    await register(intake, operator)
    handover = a_report(stage="handed_over", category="hazardous", counterparty_facility_id="hw-op")

    licensed = await intake.post(
        EVENTS, json={**handover, "hazardous_code": "900-041-49"}, headers=fac01
    )
    unlicensed = await intake.post(
        EVENTS, json={**handover, "event_id": "h-2", "hazardous_code": "900-249-08"}, headers=fac01
    )

    assert licensed.status_code == 202, licensed.text
    assert unlicensed.status_code == 422
    assert unlicensed.json()["detail"][0]["type"] == "counterparty_unlicensed"
