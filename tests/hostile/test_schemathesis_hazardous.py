"""schemathesis against a hazardous-transfer province node as deployed (worker and API as
processes on the real broker): no request, valid or not, gets a 5xx or an answer outside the
API's own OpenAPI document (status, content type, body schema).

The node serves Jiangsu (32) and Shanghai (31). An approved application and a drafted
manifest between them are the records of the authenticated run, and each step is sent by
the party it belongs to (the shipper applies and drafts, the officials decide, the carrier
transports, the receiver receives), so generated bodies reach the owner's rules, not only
the authentication; then every route anonymously.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest
import schemathesis

from tests.hostile.hostile_schemathesis import (
    MAX_EXAMPLES,
    Operation,
    assert_past_authentication,
    call_as,
    fuzz,
    fuzz_anonymously,
    load_schema,
    operations,
)
from tests.integration.hazardous_transfer.hazardous_nodes import node, running
from zw_shared.testing.identities import actor_headers, use_test_secret
from zw_shared.testing.scoring_stack import provision

pytestmark = pytest.mark.integration

SHIPPER = actor_headers("shipper-js-1", "shipper")
CARRIER = actor_headers("carrier-js-1", "carrier")
RECEIVER = actor_headers("receiver-sh-1", "receiver")
JIANGSU = actor_headers("official-js", "official", "32")
SHANGHAI = actor_headers("official-sh", "official", "31")
# Who takes each step (the last segment of the path); a read is the origin's official's.
PARTY_OF_STEP = {
    "applications": SHIPPER, "resubmission": SHIPPER, "manifests": SHIPPER,
    "corrections": SHIPPER, "answer": SHANGHAI, "pickup": CARRIER, "handovers": CARRIER,
    "delivery": CARRIER, "receipt": RECEIVER, "processing": RECEIVER,
    "receipt-corrections": RECEIVER,
}  # fmt: skip
# A node has twice the operations of the other services, and a valid command is a round trip
# through the owner's worker and the broker: fewer requests each keep the module near 90 s.
EXAMPLES = max(1, MAX_EXAMPLES * 2 // 5)
DETAILS = {
    "shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
    "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
    "waste_code": "900-041-49", "waste_category": "HW49", "waste_name": "废包装桶",
    "quantity_kg": 20000, "method": "R4",
    "requested_from": "2026-01-01", "requested_until": "2027-06-30",
    "receiver_licence": {"licence_no": "SH-HW-0001", "covers": ["HW49"],
                         "valid_until": "2028-12-31"},
}  # fmt: skip


@pytest.fixture(scope="module")
def node_url(kafka_bootstrap: str) -> Iterator[str]:
    use_test_secret()
    prefix = provision(kafka_bootstrap, f"hz{uuid.uuid4().hex[:8]}.")
    delta = node("delta", "31,32", kafka_bootstrap, prefix, COMMAND_TIMEOUT_S="30")
    with running(delta):
        yield delta.api_url


@pytest.fixture(scope="module")
def records(node_url: str) -> dict[str, str]:
    """An approved application and a manifest drafted under its approval."""
    with httpx.Client(base_url=node_url, timeout=60) as client:
        app_id = _ok(client.post("/applications", json={"details": DETAILS}, headers=SHIPPER))
        app_id = app_id["record_id"]
        for step, party in (("acceptance", JIANGSU), ("consultation", JIANGSU)):
            _ok(client.post(f"/applications/{app_id}/{step}", headers=party))
        answer = {"agreed": True}
        _ok(client.post(f"/applications/{app_id}/answer", json=answer, headers=SHANGHAI))
        _ok(client.post(f"/applications/{app_id}/approval", headers=JIANGSU))
        approval = _ok(client.get(f"/applications/{app_id}", headers=JIANGSU))["approval"]
        manifest = _ok(client.post("/manifests", json=_manifest(approval), headers=SHIPPER))
    return {"application_id": app_id, "manifest_no": manifest["record_id"]}


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json()


def _manifest(approval: dict[str, Any]) -> dict[str, Any]:
    return {
        "shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
        "carriers": ["carrier-js-1"], "origin_province": "32", "origin_prefecture": "05",
        "destination_province": "31", "method": "R4", "approval_id": approval["approval_id"],
        "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶", "quantity_kg": 1000,
                  "form": "solid", "packaging": "steel drums"},
    }  # fmt: skip


@pytest.fixture(scope="module")
def hazardous_schema(node_url: str) -> schemathesis.BaseSchema:
    return load_schema(node_url)


def _party_of(operation: Operation) -> dict[str, str]:
    if operation.method.upper() != "POST":
        return JIANGSU
    step = operation.path.rstrip("/").rsplit("/", 1)[-1]
    if step == "corrections" and operation.path.startswith("/applications"):
        return JIANGSU  # the origin asks the shipper for corrections
    return PARTY_OF_STEP.get(step, JIANGSU)


def test_a_node_answers_each_party_within_its_schema(
    hazardous_schema: schemathesis.BaseSchema,
    records: dict[str, str],
    subtests: pytest.Subtests,
) -> None:
    for operation in operations(hazardous_schema):
        with subtests.test(msg=operation.label):
            as_party = partial(call_as, identity=_party_of(operation))
            assert_past_authentication(fuzz(operation, as_party, records, EXAMPLES))


def test_a_node_answers_anonymous_callers_within_its_schema(
    hazardous_schema: schemathesis.BaseSchema, subtests: pytest.Subtests
) -> None:
    for operation in operations(hazardous_schema):
        with subtests.test(msg=operation.label):
            fuzz_anonymously(operation, max(1, EXAMPLES // 2))
