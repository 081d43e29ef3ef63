"""The three services as deployed for the authorisation matrix (one broker, one set of
processes), their records (a facility's flows, a transfer application and its manifest, a
scored cell) and the callers who try every endpoint."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from kafka import KafkaProducer

from tests.integration.hazardous_transfer.hazardous_nodes import node
from zw_shared.contracts import wrap
from zw_shared.contracts.scoring import CellTotalsUpdated
from zw_shared.testing.identities import actor_headers, token
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess
from zw_shared.testing.scoring_stack import provision
from zw_shared.topics import CELL_TOTALS

TAG = uuid.uuid4().hex[:6]
ADMIN_TOKEN = f"matrix-admin-{uuid.uuid4().hex}"
SHIPPER, CARRIER, RECEIVER = f"shipper-{TAG}", f"carrier-{TAG}", f"receiver-{TAG}"
STRANGER = f"stranger-{TAG}"  # a shipper party to nothing here
FACILITY, OTHER_FACILITY, SPARE_FACILITY = f"fac-{TAG}", f"fac-other-{TAG}", f"fac-spare-{TAG}"
CELL, CELL_NAME, DISTRICT = f"cell-{TAG}", f"矩阵细胞 matrix {TAG}", f"district-{TAG}"
FLOW_KG = 4321.5  # the facility's flow: nobody else may see this figure
PERIOD = datetime.now(UTC).strftime("%Y-%m")
OCCURRED = "2026-11-20T09:30:00+08:00"


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    credential: str | None = None  # what it would paste to sign in to the dashboard
    own: frozenset[str] = frozenset()  # its own ids: answers to it may name them


@dataclass
class World:
    urls: dict[str, str]
    callers: dict[str, Caller]
    paths: dict[str, str] = field(default_factory=dict)  # path parameter values
    ids: dict[str, str] = field(default_factory=dict)


def token_caller(name: str, sub: str, role: str, province: str | None = None) -> Caller:
    minted = token(sub, role, province)
    return Caller(name, actor_headers(sub, role, province), minted, frozenset({sub}))


def key_caller(name: str, key: str | None, own: str = "") -> Caller:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Caller(name, headers, key, frozenset({own} - {""}))


def token_callers() -> dict[str, Caller]:
    callers = [
        token_caller("shipper", SHIPPER, "shipper"),
        token_caller("carrier", CARRIER, "carrier"),
        token_caller("receiver", RECEIVER, "receiver"),
        token_caller("stranger", STRANGER, "shipper"),
        *(token_caller(f"official_{p}", f"official-{p}-{TAG}", "official", p)
          for p in ("31", "32", "33", "34")),
    ]  # fmt: skip
    return {c.name: c for c in callers}


def service(name: str, env: dict[str, str], port: int) -> ServiceProcess:
    url = f"http://127.0.0.1:{port}/readyz"
    return ServiceProcess([name], env | {"API_PORT": str(port)}, url, 90, name=name)


@contextmanager
def running_services(bootstrap: str) -> Iterator[tuple[str, dict[str, str]]]:
    """waste-intake, hazardous-transfer (a node serving 31-34: API and worker) and the
    scoring API on fresh topics, started together; yields the prefix and their URLs."""
    prefix = provision(bootstrap, f"mx{uuid.uuid4().hex[:8]}.")
    base = {"ENVIRONMENT": "test", "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TOPIC_PREFIX": prefix,
            "API_HOST": "127.0.0.1", "API_ACCESS_LOG": "false"}  # fmt: skip
    hazardous = node("matrix", "31,32,33,34", bootstrap, prefix)
    intake_port, scoring_port = free_port(), free_port()
    processes = [
        service("waste-intake-api", base | {"INTAKE_ADMIN_TOKEN": ADMIN_TOKEN}, intake_port),
        service("scoring-api", base | {"SCORING_PROVINCE": "31"}, scoring_port),
        hazardous.worker_process(),
        hazardous.api_process(),
    ]
    with ExitStack() as stack:
        for process in processes:
            stack.callback(process.stop)
        with ThreadPoolExecutor(len(processes)) as pool:
            list(pool.map(ServiceProcess.start, processes))
        yield (
            prefix,
            {
                "waste-intake": f"http://127.0.0.1:{intake_port}",
                "hazardous-transfer": hazardous.api_url,
                "scoring": f"http://127.0.0.1:{scoring_port}",
            },
        )


def answered(response: httpx.Response, *statuses: int) -> Any:
    assert response.status_code in statuses, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


def a_report(event_id: str, quantity: float = FLOW_KG) -> dict[str, Any]:
    return {"event_id": event_id, "cell_id": CELL, "stage": "generated",
            "category": "household_wet", "quantity": quantity, "unit": "kg",
            "occurred_at": OCCURRED}  # fmt: skip


def a_facility(facility_id: str) -> dict[str, Any]:
    return {"facility_id": facility_id, "name": facility_id, "facility_type": "generator",
            "district": DISTRICT, "province": "31", "cell_id": CELL}  # fmt: skip


def a_cell(cell_id: str) -> dict[str, Any]:
    return {"cell_id": cell_id, "name": CELL_NAME, "cell_type": "campus", "district": DISTRICT,
            "population": 1000}  # fmt: skip


def set_up_intake(url: str) -> dict[str, str]:
    """A cell, three facilities (two with keys) and two flows of the first; returns keys
    and ids."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=url, headers=admin, timeout=30) as client:
        answered(client.put(f"/v1/admin/cells/{CELL}", json=a_cell(CELL)), 200)
        for facility in (FACILITY, OTHER_FACILITY, SPARE_FACILITY):
            answered(client.put(f"/v1/admin/facilities/{facility}", json=a_facility(facility)), 200)
        keys = {f: answered(client.post(f"/v1/admin/facilities/{f}/api-keys"), 201)["api_key"]
                for f in (FACILITY, OTHER_FACILITY)}  # fmt: skip
        own = {"Authorization": f"Bearer {keys[FACILITY]}"}
        events = {"event": f"ev-{TAG}", "void_event": f"ev-void-{TAG}"}
        for event_id in events.values():
            posted = client.post(f"/v1/facilities/{FACILITY}/events", json=a_report(event_id),
                                 headers=own)  # fmt: skip
            answered(posted, 202)
    return {"facility_key": keys[FACILITY], "other_key": keys[OTHER_FACILITY], **events}


def application_details() -> dict[str, Any]:
    return {
        "shipper_id": SHIPPER, "receiver_id": RECEIVER,
        "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
        "waste_code": "900-041-49", "waste_category": "HW49", "waste_name": "废包装桶",
        "quantity_kg": 20000, "method": "R4",
        "requested_from": "2026-01-01", "requested_until": "2027-06-30",
        "receiver_licence": {"licence_no": "SH-HW-0001", "covers": ["HW49"],
                             "valid_until": "2028-12-31"},
    }  # fmt: skip


def manifest_body(approval_id: str) -> dict[str, Any]:
    return {
        "shipper_id": SHIPPER, "receiver_id": RECEIVER, "carriers": [CARRIER],
        "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
        "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶", "quantity_kg": 1000,
                  "form": "solid", "packaging": "steel drums"},
        "method": "R4", "approval_id": approval_id,
    }  # fmt: skip


def set_up_transfer(url: str, callers: dict[str, Caller]) -> dict[str, str]:
    """An application from Jiangsu (32) to Shanghai (31), approved, and a manifest under it."""
    h = {name: caller.headers for name, caller in callers.items()}
    with httpx.Client(base_url=url, timeout=60) as client:
        applied = client.post("/applications", json={"details": application_details()},
                              headers=h["shipper"])  # fmt: skip
        app_id = answered(applied, 201)["record_id"]
        steps = [("acceptance", "official_32"), ("consultation", "official_32"),
                 ("answer", "official_31"), ("approval", "official_32")]  # fmt: skip
        for step, who in steps:
            body = {"agreed": True} if step == "answer" else None
            answered(client.post(f"/applications/{app_id}/{step}", json=body, headers=h[who]), 200)
        record = answered(client.get(f"/applications/{app_id}", headers=h["official_32"]), 200)
        approval_id = record["approval"]["approval_id"]
        drafted = client.post("/manifests", json=manifest_body(approval_id), headers=h["shipper"])
        manifest_no = answered(drafted, 201)["record_id"]
    return {"application_id": app_id, "approval_id": approval_id, "manifest_no": manifest_no}


def set_up_scoring(bootstrap: str, prefix: str, url: str, official: Caller) -> None:
    """The cell's running totals as the scoring worker would publish them, and the API
    reading them (and the cell registered through intake)."""
    totals = CellTotalsUpdated(cell_id=CELL, total_kg=FLOW_KG * 2, event_count=2,
                               kg_by_category={"household_wet": FLOW_KG * 2},
                               kg_by_stage={"generated": FLOW_KG * 2})  # fmt: skip
    envelope = wrap(
        totals, event_id=f"totals-{TAG}", source="/matrix", time=datetime.now(UTC), subject=CELL
    )
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        topic = f"{prefix}{CELL_TOTALS.name}"
        producer.send(topic, key=CELL.encode(), value=envelope.to_bytes()).get(timeout=30)
    finally:
        producer.close()
    with httpx.Client(base_url=url, headers=official.headers, timeout=10) as client:
        poll(lambda: client.get(f"/v1/cells/{CELL}/totals").status_code == 200, "totals")
        poll(lambda: client.get(f"/v1/cells/{CELL}/scores/{PERIOD}").status_code == 200, "cell")


def poll(done: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"{what} not visible within {timeout_s}s"
        time.sleep(0.2)
