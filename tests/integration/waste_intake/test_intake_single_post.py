"""One waste-flow event over POST, published with the broker's acknowledgement, readable
back from the real topic in its CloudEvents envelope; bad input refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from intake_support import ReadTopic, a_report

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import unwrap
from zw_shared.contracts.waste import WasteFlowRecorded
from zw_shared.topics import WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration
POST = "/v1/facilities/fac-01/events"


async def test_an_accepted_event_is_on_the_flow_topic_in_its_envelope(
    intake: httpx.AsyncClient, fac01: dict[str, str], provisioned_prefix: str, read_topic: ReadTopic
) -> None:
    response = await intake.post(POST, json=a_report(), headers=fac01)

    assert response.status_code == 202, response.text
    body = response.json()
    topic = WASTE_FLOW_EVENTS.full_name(provisioned_prefix)
    assert (body["status"], body["topic"]) == ("accepted", topic)
    (record,) = await read_topic(topic)
    assert (record.partition, record.offset) == (body["partition"], body["offset"])
    assert record.key == b"cell-campus-01"
    envelope = CloudEvent.from_bytes(record.value)
    assert envelope.id == "fac-01/evt-0001" == body["cloudevent_id"]
    assert envelope.source == "/facilities/fac-01"
    assert envelope.subject == "cell-campus-01"
    assert envelope.type == WasteFlowRecorded.event_type
    flow = unwrap(envelope)
    assert isinstance(flow, WasteFlowRecorded)
    assert flow.quantity_kg == 1250.0
    assert (flow.reported_quantity, flow.reported_unit) == (1.25, "t")


async def test_a_report_may_name_the_facility_s_own_cell(
    intake: httpx.AsyncClient, fac01: dict[str, str], read_topic: ReadTopic, provisioned_prefix: str
) -> None:
    report = a_report(cell_id="cell-campus-01")

    response = await intake.post(POST, json=report, headers=fac01)

    assert response.status_code == 202, response.text
    (record,) = await read_topic(WASTE_FLOW_EVENTS.full_name(provisioned_prefix))
    assert record.key == b"cell-campus-01"


async def test_a_malformed_event_is_refused_with_422_naming_the_field(
    intake: httpx.AsyncClient, fac01: dict[str, str], provisioned_prefix: str, read_topic: ReadTopic
) -> None:
    response = await intake.post(POST, json=a_report(quantity=-3), headers=fac01)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "quantity"]]
    assert await read_topic(WASTE_FLOW_EVENTS.full_name(provisioned_prefix)) == []


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"category": "hazardous", "hazardous_code": "900-041-42"}, "hazardous_code", "HW42"),
        ({"category": "hazardous"}, "hazardous_code", "needs its 名录 code"),
        ({"quantity": 20_000, "unit": "t"}, "quantity", "more than"),
        (
            {"occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
            "occurred_at",
            "in the future",
        ),
        ({"cell_id": "cell-elsewhere"}, "cell_id", "not registered"),
        (
            {"stage": "handed_over", "counterparty_facility_id": "nobody"},
            "counterparty_facility_id",
            "not registered",
        ),
    ],
)
async def test_a_rule_violation_is_refused_with_422_naming_the_field(
    intake: httpx.AsyncClient,
    fac01: dict[str, str],
    overrides: dict[str, object],
    field: str,
    words: str,
) -> None:
    response = await intake.post(POST, json=a_report(**overrides), headers=fac01)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert words in error["msg"]
