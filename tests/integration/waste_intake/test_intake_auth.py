"""Who may do what: a facility reports only for itself (403), a request without a valid key
is 401; the admin API takes only the admin token; keys are stored only as hashes."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from intake_support import ADMIN, ReadTopic, a_facility, a_report, register

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.topics import WASTE_FACILITY_CREDENTIALS

pytestmark = pytest.mark.integration


async def test_a_facility_cannot_post_for_another_facility(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    await register(intake, a_facility("fac-02"))

    response = await intake.post("/v1/facilities/fac-02/events", json=a_report(), headers=fac01)

    assert response.status_code == 403
    assert "fac-01" in response.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer zwk_not-a-key"}])
async def test_a_post_without_a_valid_key_is_401(
    intake: httpx.AsyncClient, fac01: dict[str, str], headers: dict[str, str]
) -> None:
    response = await intake.post("/v1/facilities/fac-01/events", json=a_report(), headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_new_key_replaces_the_old_one(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    new = await register(intake, a_facility("fac-01"))

    old_answer = await intake.post("/v1/facilities/fac-01/events", json=a_report(), headers=fac01)
    new_answer = await intake.post("/v1/facilities/fac-01/events", json=a_report(), headers=new)

    assert (old_answer.status_code, new_answer.status_code) == (401, 202)


async def test_the_admin_api_refuses_a_facility_key_and_a_missing_token(
    intake: httpx.AsyncClient, fac01: dict[str, str]
) -> None:
    facility = a_facility("fac-09")

    with_key = await intake.put("/v1/admin/facilities/fac-09", json=facility, headers=fac01)
    without = await intake.put("/v1/admin/facilities/fac-09", json=facility)

    assert (with_key.status_code, without.status_code) == (401, 401)


async def test_only_the_hash_of_a_key_is_on_the_credentials_topic(
    intake: httpx.AsyncClient, fac01: dict[str, str], read_topic: ReadTopic, provisioned_prefix: str
) -> None:
    api_key = fac01["Authorization"].removeprefix("Bearer ")

    (record,) = await read_topic(WASTE_FACILITY_CREDENTIALS.full_name(provisioned_prefix))

    assert api_key.encode() not in record.value
    stored = CloudEvent.from_bytes(record.value).data["key_sha256"]
    assert stored == hashlib.sha256(api_key.encode()).hexdigest()


async def test_a_facility_in_an_unregistered_cell_is_refused(intake: httpx.AsyncClient) -> None:
    facility = a_facility("fac-03", cell_id="cell-nowhere")

    response = await intake.put("/v1/admin/facilities/fac-03", json=facility, headers=ADMIN)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "cell_id"], "unknown_cell")
