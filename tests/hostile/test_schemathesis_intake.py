"""schemathesis against waste-intake's API as deployed (``waste-intake-api`` as a process on
the real broker): no request, valid or not, gets a 5xx or an answer outside the API's own
OpenAPI document (status, content type, body schema).

The facility routes run as the registered facility ``fac-hostile`` (its key issued through
the admin API) on its own path, so valid reports reach the rules, the broker and the
idempotency index; the admin routes run with the admin token; then every route anonymously.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
import schemathesis

from tests.hostile.hostile_schemathesis import (
    assert_past_authentication,
    call_as,
    fuzz,
    fuzz_anonymously,
    load_schema,
    operations,
)
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.testing.scoring_stack import provision

pytestmark = pytest.mark.integration

ADMIN_TOKEN = f"hostile-{uuid.uuid4().hex}"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
FACILITY, CELL, EVENT = "fac-hostile", "cell-hostile", "evt-hostile"
# The facility's routes on its own path, one of its events as the event (so corrections,
# voids and reads reach a real flow), every other parameter as generated. Admin routes
# keep generated ids: a fixed facility there would get its key replaced.
OWN_PATHS = {"facility_id": FACILITY, "event_id": EVENT}


@pytest.fixture(scope="module")
def intake_url(kafka_bootstrap: str) -> Iterator[str]:
    prefix = provision(kafka_bootstrap, f"t{uuid.uuid4().hex[:10]}.")
    port = free_port()
    env = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": prefix,
        "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(port),
        "API_ACCESS_LOG": "false",
    }
    url = f"http://127.0.0.1:{port}"
    with ServiceProcess(["waste-intake-api"], env, f"{url}/readyz", name="waste-intake-api"):
        yield url


@pytest.fixture(scope="module")
def facility_headers(intake_url: str) -> dict[str, str]:
    """Registers the cell and the facility, issues its key and records one flow of it."""
    with httpx.Client(base_url=intake_url, timeout=30) as client:
        cell = {"cell_id": CELL, "name": "Hostile campus", "cell_type": "campus",
                "district": "Xuhui", "population": 1000}  # fmt: skip
        _ok(client.put(f"/v1/admin/cells/{CELL}", json=cell, headers=ADMIN))
        facility = {"facility_id": FACILITY, "name": "Hostile generator",
                    "facility_type": "generator", "district": "Xuhui", "province": "31",
                    "cell_id": CELL}  # fmt: skip
        path = f"/v1/admin/facilities/{FACILITY}"
        _ok(client.put(path, json=facility, headers=ADMIN))
        key = _ok(client.post(f"{path}/api-keys", headers=ADMIN)).json()["api_key"]
        own = {"Authorization": f"Bearer {key}"}
        _ok(client.post(f"/v1/facilities/{FACILITY}/events", json=_a_report(), headers=own))
    return own


def _ok(answer: httpx.Response) -> httpx.Response:
    assert answer.status_code < 300, answer.text
    return answer


def _a_report() -> dict[str, object]:
    when = datetime.now(UTC) - timedelta(hours=1)
    return {"event_id": EVENT, "stage": "generated", "category": "household_wet",
            "quantity": 2.5, "unit": "kg", "occurred_at": when.isoformat()}  # fmt: skip


@pytest.fixture(scope="module")
def intake_schema(intake_url: str) -> schemathesis.BaseSchema:
    return load_schema(intake_url)


def test_intake_answers_its_facility_and_its_admin_within_its_schema(
    intake_schema: schemathesis.BaseSchema,
    facility_headers: dict[str, str],
    subtests: pytest.Subtests,
) -> None:
    for operation in operations(intake_schema):
        if operation.path.startswith("/v1/admin/"):
            identity, fixed = ADMIN, None
        else:
            identity, fixed = facility_headers, OWN_PATHS
        with subtests.test(msg=operation.label):
            assert_past_authentication(fuzz(operation, partial(call_as, identity=identity), fixed))


def test_intake_answers_anonymous_callers_within_its_schema(
    intake_schema: schemathesis.BaseSchema, subtests: pytest.Subtests
) -> None:
    for operation in operations(intake_schema):
        with subtests.test(msg=operation.label):
            fuzz_anonymously(operation)
