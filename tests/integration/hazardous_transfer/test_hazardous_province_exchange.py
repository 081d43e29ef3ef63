"""Two province nodes as separate services (Jiangsu 32 and Shanghai 31) on the real broker:
an application and a manifest go through every step across them, including refusal,
discrepancy and overdue paths, and a restarted worker recovers its records."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hazardous_nodes import Node, Running, headers, node, running, wait_for

from zw_shared.provisioning import connect_admin, ensure_topics

pytestmark = pytest.mark.integration

SHIPPER = headers("shipper-js-1", "shipper")
JS = headers("official-js", "official", "32")
SH = headers("official-sh", "official", "31")
CARRIER_A, CARRIER_B = headers("carrier-js-1", "carrier"), headers("carrier-sh-2", "carrier")
RECEIVER = headers("receiver-sh-1", "receiver")


class Nodes:
    def __init__(self, js: Node, sh: Node, run: Running) -> None:
        self.js_node, self.sh_node, self.run = js, sh, run
        self.js, self.sh = js.client(), sh.client()


@pytest.fixture(scope="module")
def nodes(kafka_bootstrap: str) -> Iterator[Nodes]:
    prefix = f"hz{uuid.uuid4().hex[:8]}."
    admin = connect_admin(kafka_bootstrap)
    ensure_topics(admin, prefix)
    admin.close()
    extra = {
        "MAX_BACKDATE_DAYS": "60",
        "DEADLINE_CHECK_INTERVAL_S": "0.5",
        "WORKER_SESSION_TIMEOUT_S": "8",  # a killed worker's partitions move on quickly
    }
    js = node("js", "32", kafka_bootstrap, prefix, **extra)
    sh = node("sh", "31", kafka_bootstrap, prefix, **extra)
    with running(js, sh) as run:
        yield Nodes(js, sh, run)


def details(**overrides: Any) -> dict[str, Any]:
    return {
        "shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
        "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
        "waste_code": "900-041-49", "waste_category": "HW49", "waste_name": "废包装桶",
        "quantity_kg": 20000, "method": "R4",
        "requested_from": "2026-01-01", "requested_until": "2027-06-30",
        "receiver_licence": {"licence_no": "SH-HW-0001", "covers": ["HW49"],
                             "valid_until": "2028-12-31"},
    } | overrides  # fmt: skip


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def record(client: httpx.Client, path: str, reader: dict[str, str]) -> dict[str, Any] | None:
    response = client.get(path, headers=reader)
    return response.json() if response.status_code == 200 else None


def status_is(expected: str) -> Any:
    return lambda r: r is not None and r["status"] == expected


def consulted(n: Nodes, **overrides: Any) -> str:
    applied = ok(
        n.js.post("/applications", json={"details": details(**overrides)}, headers=SHIPPER), 201
    )
    app_id = applied["record_id"]
    ok(n.js.post(f"/applications/{app_id}/acceptance", headers=JS))
    ok(n.js.post(f"/applications/{app_id}/consultation", headers=JS))
    wait_for(lambda: record(n.sh, f"/applications/{app_id}", SH), status_is("consulted"))
    return str(app_id)


def test_an_application_is_approved_across_the_two_nodes(nodes: Nodes) -> None:
    app_id = consulted(nodes)
    ok(nodes.sh.post(f"/applications/{app_id}/answer", json={"agreed": True}, headers=SH))
    approved = ok(nodes.js.post(f"/applications/{app_id}/approval", headers=JS))
    assert approved["event_types"] == ["hazardous.application.approved"]
    at_sh = wait_for(lambda: record(nodes.sh, f"/applications/{app_id}", SH), status_is("approved"))
    assert at_sh == record(nodes.js, f"/applications/{app_id}", JS)
    search = {"party": "receiver-sh-1", "status": "approved", "province": "31"}
    found = ok(nodes.sh.get("/applications", params=search, headers=SH))
    assert app_id in [a["application_id"] for a in found]


def test_a_node_never_holds_a_record_that_does_not_concern_its_provinces(nodes: Nodes) -> None:
    to_zhejiang = details(destination_province="33")
    applied = nodes.js.post("/applications", json={"details": to_zhejiang}, headers=SHIPPER)
    app_id = ok(applied, 201)["record_id"]
    ok(nodes.js.post(f"/applications/{app_id}/acceptance", headers=JS))
    consulted(nodes)  # Shanghai copies this later record: a copy of the first would be there
    assert nodes.sh.get(f"/applications/{app_id}", headers=SH).status_code == 404
    held = nodes.sh.get("/applications", headers=SH).json()
    assert app_id not in [a["application_id"] for a in held]


def test_a_province_official_acts_only_for_their_own_province(nodes: Nodes) -> None:
    app_id = consulted(nodes)
    refused = nodes.js.post(f"/applications/{app_id}/answer", json={"agreed": True}, headers=SH)
    assert refused.status_code == 403
    wrong = nodes.js.post(f"/applications/{app_id}/answer", json={"agreed": True}, headers=JS)
    assert wrong.status_code == 403
    assert wrong.json()["detail"]["error"] == "wrong_party"


def test_a_destination_refusal_ends_in_a_refusal(nodes: Nodes) -> None:
    app_id = consulted(nodes)
    answer = {"agreed": False, "reasons": ["no capacity this year"]}
    ok(nodes.sh.post(f"/applications/{app_id}/answer", json=answer, headers=SH))
    wait_for(lambda: record(nodes.js, f"/applications/{app_id}", JS), status_is("answered"))
    early = nodes.js.post(f"/applications/{app_id}/approval", headers=JS)
    assert early.status_code == 409
    assert "can only be refused" in early.json()["detail"]["reason"]
    ok(
        nodes.js.post(
            f"/applications/{app_id}/refusal", json={"reasons": ["destination refused"]}, headers=JS
        )
    )
    wait_for(lambda: record(nodes.sh, f"/applications/{app_id}", SH), status_is("refused"))


def test_a_malformed_application_is_refused_naming_the_field(nodes: Nodes) -> None:
    bad = nodes.js.post(
        "/applications", json={"details": details(waste_code="900-41-49")}, headers=SHIPPER
    )
    assert bad.status_code == 422
    assert "waste_code" in bad.text


def test_a_silent_origin_is_overdue_and_the_application_counts_as_accepted(nodes: Nodes) -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    late = headers("shipper-js-1", "shipper", **{"X-Occurred-At": long_ago})
    app_id = ok(nodes.js.post("/applications", json={"details": details()}, headers=late), 201)[
        "record_id"
    ]
    overdue = lambda r: r is not None and len(r["overdue_steps"]) == 2  # noqa: E731
    at_js = wait_for(lambda: record(nodes.js, f"/applications/{app_id}", JS), overdue)
    assert at_js["status"] == "accepted"
    assert at_js["deemed_accepted"] is True
    assert at_js["overdue_steps"] == ["completeness_check", "review"]
    wait_for(lambda: record(nodes.sh, f"/applications/{app_id}", SH), overdue)


def approved_application(n: Nodes) -> str:
    app_id = consulted(n)
    ok(n.sh.post(f"/applications/{app_id}/answer", json={"agreed": True}, headers=SH))
    ok(n.js.post(f"/applications/{app_id}/approval", headers=JS))
    approval = record(n.js, f"/applications/{app_id}", JS)
    assert approval is not None
    return str(approval["approval"]["approval_id"])


def manifest_body(approval_id: str, quantity: float = 1000) -> dict[str, Any]:
    return {
        "shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
        "carriers": ["carrier-js-1", "carrier-sh-2"],
        "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
        "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶", "quantity_kg": quantity,
                  "form": "solid", "packaging": "steel drums"},
        "method": "R4", "approval_id": approval_id,
    }  # fmt: skip


TRUCK = {"vehicle": "苏E12345", "transport_permit": "苏交运危 320500001", "route": "G2"}
RECEIPT = {"accepted_kg": 800, "refused_kg": 0, "method": "R4", "observed_code": "900-041-49",
           "observed_form": "solid", "observed_packaging": "steel drums"}  # fmt: skip


def test_a_manifest_runs_across_the_nodes_with_a_discrepancy_and_survives_a_restart(
    nodes: Nodes,
) -> None:
    approval_id = approved_application(nodes)
    drafted = ok(nodes.js.post("/manifests", json=manifest_body(approval_id), headers=SHIPPER), 201)
    no = drafted["record_id"]
    assert len(no) == 14
    assert no.startswith(f"{datetime.now(UTC).year}3205")
    ok(nodes.js.post(f"/manifests/{no}/pickup", json=TRUCK, headers=CARRIER_A))
    twice = nodes.js.post(f"/manifests/{no}/pickup", json=TRUCK, headers=CARRIER_A)
    assert twice.status_code == 409
    early = nodes.js.post(f"/manifests/{no}/delivery", headers=CARRIER_B)
    assert early.status_code == 409
    ok(
        nodes.js.post(
            f"/manifests/{no}/handovers", json=TRUCK | {"vehicle": "沪A1"}, headers=CARRIER_B
        )
    )
    ok(nodes.js.post(f"/manifests/{no}/delivery", headers=CARRIER_B))
    wait_for(lambda: record(nodes.sh, f"/manifests/{no}", SH), status_is("delivered"))
    received = ok(nodes.sh.post(f"/manifests/{no}/receipt", json=RECEIPT, headers=RECEIVER))
    assert "hazardous.manifest.discrepancy-raised" in received["event_types"]
    fix = RECEIPT | {"method": "R9", "reason": "recorded the wrong method"}
    path = f"/manifests/{no}/receipt-corrections"
    corrected = ok(nodes.sh.post(path, json=fix, headers=RECEIVER))
    assert corrected["event_types"] == ["hazardous.manifest.receipt-corrected"]
    ok(nodes.sh.post(f"/manifests/{no}/processing", headers=RECEIVER))
    at_sh = wait_for(lambda: record(nodes.sh, f"/manifests/{no}", SH), status_is("processed"))
    assert at_sh["discrepancy"]["notify"] == ["shipper-js-1", "31"]
    assert [r["method"] for r in at_sh["receipt_history"]] == ["R4"]
    history = ok(nodes.js.get(f"/manifests/{no}/history", headers=JS))
    assert [e["actor"] for e in history["log"]] == [
        "shipper-js-1", "carrier-js-1", "carrier-sh-2", "carrier-sh-2",
        "receiver-sh-1", "receiver-sh-1", "receiver-sh-1", "receiver-sh-1",
    ]  # fmt: skip
    assert [r["method"] for r in history["receipts"]] == ["R4", "R9"]
    before = record(nodes.js, f"/manifests/{no}", JS)
    _restart_worker(nodes)
    after = nodes.js.get(f"/manifests/{no}", headers=JS)
    assert after.status_code == 200, after.text
    assert after.json() == before


def test_receiving_more_than_the_approval_allows_is_refused(nodes: Nodes) -> None:
    approval_id = approved_application(nodes)
    over = nodes.js.post("/manifests", json=manifest_body(approval_id, 25_000), headers=SHIPPER)
    assert over.status_code == 422
    assert over.json()["detail"]["error"] == "quantity_exceeds_approval"


def _restart_worker(n: Nodes) -> None:
    n.run.processes["js-worker"].kill()
    n.run.start("js-worker", n.js_node.worker_process())


def test_a_retried_command_with_the_same_idempotency_key_counts_once(nodes: Nodes) -> None:
    retry = SHIPPER | {"Idempotency-Key": f"apply-{uuid.uuid4().hex}"}
    first = ok(nodes.js.post("/applications", json={"details": details()}, headers=retry), 201)
    again = ok(nodes.js.post("/applications", json={"details": details()}, headers=retry), 201)
    assert again["record_id"] == first["record_id"]
    assert first["event_types"] == ["hazardous.application.applied"]
    assert again["event_types"] == []
