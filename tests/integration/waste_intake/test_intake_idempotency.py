"""Idempotent on the event id: a repeat with the same content is a duplicate and is not
published again, a repeat with different content is 409; and both hold across a restart of
the API, whose index of seen ids is rebuilt from the flow topic itself."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from intake_support import ReadTopic, a_report, intake_settings, running_intake

from zw_shared.topics import WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration
POST = "/v1/facilities/fac-01/events"


async def test_a_repeat_with_the_same_content_is_a_duplicate_and_not_published_again(
    intake: httpx.AsyncClient, fac01: dict[str, str], read_topic: ReadTopic, provisioned_prefix: str
) -> None:
    report = a_report()

    first = await intake.post(POST, json=report, headers=fac01)
    again = await intake.post(POST, json=report, headers=fac01)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    assert again.json()["offset"] == first.json()["offset"]
    assert len(await read_topic(WASTE_FLOW_EVENTS.full_name(provisioned_prefix))) == 1


async def test_concurrent_repeats_publish_once(
    intake: httpx.AsyncClient, fac01: dict[str, str], read_topic: ReadTopic, provisioned_prefix: str
) -> None:
    report = a_report()

    answers = await asyncio.gather(
        *(intake.post(POST, json=report, headers=fac01) for _ in range(5))
    )

    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 202]
    assert len(await read_topic(WASTE_FLOW_EVENTS.full_name(provisioned_prefix))) == 1


async def test_a_repeat_with_different_content_is_409(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    await intake.post(POST, json=a_report(quantity=1.0), headers=fac01)

    response = await intake.post(POST, json=a_report(quantity=2.0), headers=fac01)

    assert response.status_code == 409
    assert "already used for different content" in response.json()["detail"]


async def test_idempotency_and_the_registry_survive_a_restart_of_the_api(
    intake: httpx.AsyncClient,
    fac01: dict[str, str],
    kafka_bootstrap: str,
    provisioned_prefix: str,
    read_topic: ReadTopic,
) -> None:
    report = a_report()
    assert (await intake.post(POST, json=report, headers=fac01)).status_code == 202

    settings = intake_settings(kafka_bootstrap, provisioned_prefix)
    async with running_intake(settings) as restarted:
        again = await restarted.post(POST, json=report, headers=fac01)
        changed = await restarted.post(POST, json=a_report(quantity=9.0), headers=fac01)

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    assert changed.status_code == 409
    assert len(await read_topic(WASTE_FLOW_EVENTS.full_name(provisioned_prefix))) == 1
