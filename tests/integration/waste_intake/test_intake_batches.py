"""Batches (JSON array, NDJSON, CSV): every item answered on its own; a bad item never fails
the batch, and nothing is half-done silently."""

from __future__ import annotations

import json

import httpx
import pytest
from intake_support import (
    ReadTopic,
    a_facility,
    a_report,
    intake_settings,
    register,
    running_intake,
)

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.topics import WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration
BATCH = "/v1/facilities/fac-01/events/batch"


async def test_a_batch_with_good_duplicate_and_bad_rows_answers_each_row(
    intake: httpx.AsyncClient, fac01: dict[str, str], read_topic: ReadTopic, provisioned_prefix: str
) -> None:
    earlier = a_report(event_id="e-1")
    await intake.post("/v1/facilities/fac-01/events", json=earlier, headers=fac01)
    rows = [
        a_report(event_id="e-2"),
        earlier,  # duplicate
        a_report(event_id="e-3", quantity="lots"),
        a_report(event_id="e-1", quantity=7),  # conflict
        a_report(event_id="e-4", category="hazardous"),
        a_report(event_id="e-5"),
    ]

    response = await intake.post(BATCH, json=rows, headers=fac01)

    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "accepted", "duplicate", "rejected", "conflict", "rejected", "accepted",
    ]  # fmt: skip
    assert body["counts"] == {
        "accepted": 2, "duplicate": 1, "rejected": 2, "conflict": 1, "failed": 0,
    }  # fmt: skip
    assert body["results"][2]["errors"][0]["field"] == "quantity"
    assert body["results"][4]["errors"][0]["field"] == "hazardous_code"
    records = await read_topic(WASTE_FLOW_EVENTS.full_name(provisioned_prefix))
    ids = sorted(CloudEvent.from_bytes(r.value).id for r in records)
    assert ids == ["fac-01/e-1", "fac-01/e-2", "fac-01/e-5"]


async def test_an_ndjson_batch_reports_an_unreadable_line_and_records_the_rest(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    body = "\n".join([json.dumps(a_report(event_id="n-1")), "{not json", ""])
    headers = {**fac01, "Content-Type": "application/x-ndjson"}

    response = await intake.post(BATCH, content=body, headers=headers)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert "line 2 is not JSON" in results[1]["errors"][0]["reason"]


async def test_a_csv_upload_answers_each_row(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    when = a_report()["occurred_at"]
    csv = (
        "event_id,stage,category,quantity,unit,is_estimate,occurred_at\n"
        f"c-1,generated,household_dry,12.5,kg,yes,{when}\n"
        f"c-2,generated,household_dry,-1,kg,no,{when}\n"
        f"c-3,collected,household_recyclable,0.4,t,,{when}\n"
    )
    headers = {**fac01, "Content-Type": "text/csv"}

    response = await intake.post("/v1/facilities/fac-01/events/csv", content=csv, headers=headers)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["errors"][0]["field"] == "quantity"


async def test_a_csv_without_a_required_column_is_refused_as_a_whole(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    headers = {**fac01, "Content-Type": "text/csv"}

    response = await intake.post(
        "/v1/facilities/fac-01/events/csv", content="event_id,stage\nx,generated\n", headers=headers
    )

    assert response.status_code == 422
    assert "category" in response.json()["detail"]


async def test_a_batch_over_the_limit_is_413(kafka_bootstrap: str, provisioned_prefix: str) -> None:
    settings = intake_settings(kafka_bootstrap, provisioned_prefix, max_batch_items=2)
    async with running_intake(settings) as intake:
        headers = await register(intake, a_facility("fac-01"))
        rows = [a_report(event_id=f"b-{i}") for i in range(3)]
        response = await intake.post(BATCH, json=rows, headers=headers)

    assert response.status_code == 413
    assert "at most 2 items" in response.json()["detail"]
