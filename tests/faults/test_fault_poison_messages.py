"""A poison record on every topic a service consumes: bytes that are not JSON, a valid
envelope of an unknown type, and the topic's own event type with a payload that fails
validation, on every partition. Each is dead-lettered once with its reason (the workers),
or skipped, counted and logged where the reader documents that (the views); and every
consumer goes on: a valid record after the poison is processed.

Every service runs as a process against the session broker, on a prefix of its own."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from faults_flows import (
    scoring_client,
    totals_when,
)
from faults_hazardous import SH_OFFICIAL, SHIPPER, details
from faults_poison import (
    DEAD_LETTER,
    DEAD_LETTER_TOPICS,
    NOT_CONSUMED,
    Placed,
    consumers,
    origin_of,
    poisons,
    put_poisons,
    reason_of,
    topics_named_in_code,
)
from faults_support import (
    ADMIN,
    Record,
    System,
    await_for,
    read_topic,
    register_facility,
    running_system,
    wait_group_passed,
)

from zw_shared import topics as t
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import EventPayload, wrap
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated, CellTotalsUpdated, MonthMass
from zw_shared.contracts.waste import (
    CellRegistered,
    FacilityCredentialIssued,
    FacilityRegistered,
    WasteFlowRecorded,
)
from zw_shared.topics import TopicSpec

pytestmark = pytest.mark.e2e

SCORING_REASONS = {
    "undecodable": "invalid_envelope",
    "unknown_type": "unknown_event_type",
    "invalid_payload": "invalid_payload",
}
PAST_PERIOD = "2025-01"


@pytest.mark.parametrize("service", sorted(NOT_CONSUMED))
def test_every_topic_a_service_reads_has_a_poison_case(service: str) -> None:
    named = topics_named_in_code(service)
    poisoned = {c.topic.name for c in consumers() if c.service == service}

    assert named - set(NOT_CONSUMED[service]) == poisoned


@dataclass
class World:
    """What the test set up: ids, keys, and where every poison landed."""

    cell: str  # registered through the API, with facility ``facility``
    facility: str
    facility_key: dict[str, str]
    new_cell: str  # registered by a record after the poison
    new_facility: str  # registered after the poison, in ``new_cell``
    new_key: str  # its API key, issued after the poison
    totals_cell: str  # known to the scoring API only by a totals record after the poison
    manifest_no: str  # drafted at another node, after the poison
    period: str  # this month, Shanghai time
    placed: dict[str, list[Placed]]  # full topic name -> poisons


@pytest.fixture(scope="module")
def system(kafka_bootstrap: str) -> Iterator[System]:
    with running_system(kafka_bootstrap, "intake", "scoring", "hazardous") as running:
        yield running


@pytest.fixture(scope="module")
async def world(system: System) -> World:
    suffix = uuid.uuid4().hex[:6]
    cell, facility = f"cell-p-{suffix}", f"fac-p-{suffix}"
    with httpx.Client(base_url=system["waste-intake-api"].url, timeout=15) as admin:
        key = register_facility(admin, facility, cell)
    w = World(
        cell, facility, key, f"cell-n-{suffix}", f"fac-n-{suffix}", secrets.token_hex(32),
        f"cell-t-{suffix}", f"2026{uuid.uuid4().int % 10**10:010d}",
        datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m"), {},
    )  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap, acks="all")
    await producer.start()
    try:
        for spec in {c.topic for c in consumers()}:
            topic = system.topic(spec.name)
            w.placed[topic] = await put_poisons(producer, spec, topic, poison_key(spec, w))
        for spec, key_of, payload in valid_records(w):
            envelope = wrap(payload, event_id=f"valid/{uuid.uuid4().hex}", source="/faults",
                            time=datetime.now(UTC), subject=key_of)  # fmt: skip
            if isinstance(payload, WasteFlowRecorded):
                envelope = envelope.model_copy(update={"id": payload.dedup_key})
            if spec is t.HAZARDOUS_EVENTS:
                envelope = envelope.model_copy(update={"source": "hazardous-transfer/zj"})
            await producer.send_and_wait(
                system.topic(spec.name), envelope.to_bytes(), key=key_of.encode()
            )
    finally:
        await producer.stop()
    return w


def poison_key(spec: TopicSpec, w: World) -> bytes:
    keys = {
        t.HAZARDOUS_COMMAND_RESULTS.name: "faults",  # the node id: its API reads the record
        t.CELL_MONTH_FLOWS.name: f"{w.new_cell}/{PAST_PERIOD}",
        t.HAZARDOUS_EVENTS.name: w.manifest_no,
    }
    return keys.get(spec.name, w.cell).encode()


def valid_records(w: World) -> list[tuple[TopicSpec, str, EventPayload]]:
    now = datetime.now(UTC)
    return [
        (t.WASTE_FLOW_EVENTS, w.cell, a_flow(w)),
        (t.WASTE_CELLS, w.new_cell, CellRegistered(cell_id=w.new_cell, name="after poison",
                                                   cell_type="factory", district="Xuhui",
                                                   population=300)),
        (t.WASTE_FACILITIES, w.new_facility, FacilityRegistered(
            facility_id=w.new_facility, name="after poison", facility_type="generator",
            district="Xuhui", province="31", cell_id=w.new_cell)),
        (t.WASTE_FACILITY_CREDENTIALS, w.new_facility, FacilityCredentialIssued(
            facility_id=w.new_facility, key_sha256=hashlib.sha256(w.new_key.encode()).hexdigest(),
            issued_at=now)),
        (t.HAZARDOUS_EVENTS, w.manifest_no, a_manifest(w)),
        (t.CELL_MONTH_FLOWS, f"{w.new_cell}/{PAST_PERIOD}", CellPeriodFlowsUpdated(
            cell_id=w.new_cell, period=PAST_PERIOD, facts={}, report_days={},
            mass=(MonthMass(category="household_wet", stage="generated", kg=7.0, events=3),))),
        (t.CELL_TOTALS, w.totals_cell, CellTotalsUpdated(
            cell_id=w.totals_cell, total_kg=42.0, kg_by_category={"household_wet": 42.0},
            kg_by_stage={"generated": 42.0}, event_count=2)),
    ]  # fmt: skip


def a_flow(w: World) -> WasteFlowRecorded:
    return WasteFlowRecorded(
        event_id="ev-after-poison", facility_id=w.facility, cell_id=w.cell, stage="generated",
        category="household_wet", quantity_kg=5.0, reported_quantity=5.0, reported_unit="kg",
        occurred_at=datetime.now(UTC),
    )  # fmt: skip


def a_manifest(w: World) -> EventPayload:
    from zw_shared.contracts.hazardous import ManifestDrafted

    return ManifestDrafted.model_validate({
        "command_id": f"zj:{w.manifest_no}", "occurred_at": datetime.now(UTC).isoformat(),
        "actor": w.new_facility, "origin_province": "33", "destination_province": "31",
        "manifest_no": w.manifest_no, "shipper_id": w.new_facility,
        "receiver_id": "receiver-sh-1", "carriers": ["carrier-zj-1"], "origin_prefecture": "01",
        "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶", "quantity_kg": 100,
                  "form": "solid", "packaging": "steel drums"},
        "method": "R4", "receiver_licence": {"licence_no": "SH-HW-0001", "covers": ["HW49"],
                                             "valid_until": "2028-12-31"},
    })  # fmt: skip


# --- the dead letters -----------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(DEAD_LETTER_TOPICS))
async def test_each_poison_is_dead_lettered_once_with_its_reason(
    system: System, world: World, service: str
) -> None:
    read = [c for c in consumers() if c.service == service and c.handling == DEAD_LETTER]
    expected = {system.topic(c.topic.name): world.placed[system.topic(c.topic.name)] for c in read}
    dead_letters = system.topic(DEAD_LETTER_TOPICS[service].name)

    async def letters() -> list[Record]:
        return await read_topic(system.bootstrap, dead_letters)

    found = await await_for(letters, lambda ls: len(ls) >= sum(map(len, expected.values())), 120)

    where = Counter(origin_of(letter, service) for letter in found)
    assert where == Counter(
        (p.topic, p.partition, p.offset) for ps in expected.values() for p in ps
    )
    kinds = {(p.topic, p.partition, p.offset): p.kind for ps in expected.values() for p in ps}
    for letter in found:
        reason = reason_of(letter, service)
        assert reason, f"a dead letter without a reason: {letter}"
        if service == "scoring":
            assert reason == SCORING_REASONS[kinds[origin_of(letter, service)]]
        topic, _, _ = origin_of(letter, service)
        spec = t.by_name(topic.removeprefix(system.prefix))
        assert letter.value == poisons(spec)[kinds[origin_of(letter, service)]]


# --- every consumer goes on -----------------------------------------------------------------


def unreadable(metrics: str, name: str, topic: str) -> float:
    found = re.search(rf'^{name}\{{topic="{re.escape(topic)}"\}} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


def poisons_on(system: System, world: World, spec: TopicSpec) -> float:
    return float(len(world.placed[system.topic(spec.name)]))


async def all_records(system: System, *specs: TopicSpec) -> list[Record]:
    return [r for s in specs for r in await read_topic(system.bootstrap, system.topic(s.name))]


async def test_the_intake_worker_goes_on_past_the_poison(system: System, world: World) -> None:
    specs = (t.WASTE_FLOW_EVENTS, t.WASTE_CELLS, t.WASTE_FACILITIES, t.WASTE_FACILITY_CREDENTIALS)

    records = await all_records(system, *specs)

    await wait_group_passed(system.bootstrap, system.intake_worker_group, records, 120)


async def test_the_intake_api_skips_the_poison_and_reads_what_follows(
    system: System, world: World
) -> None:
    new_key = {"Authorization": f"Bearer {world.new_key}"}
    at = datetime.now(UTC).isoformat()
    report = {"event_id": "ev-new-key", "stage": "generated", "category": "household_wet",
              "quantity": 2, "unit": "kg", "occurred_at": at}  # fmt: skip
    async with httpx.AsyncClient(base_url=system["waste-intake-api"].url, timeout=15) as intake:
        flow = f"/v1/facilities/{world.facility}/events/ev-after-poison"
        read = await poll(lambda: intake.get(flow, headers=world.facility_key))
        cell = await poll(lambda: intake.get(f"/v1/admin/cells/{world.new_cell}", headers=ADMIN))
        path = f"/v1/admin/facilities/{world.new_facility}"
        facility = await poll(lambda: intake.get(path, headers=ADMIN))
        posted = await poll(
            lambda: intake.post(f"/v1/facilities/{world.new_facility}/events", json=report,
                                headers=new_key), ok=202)  # fmt: skip
        metrics = (await intake.get("/metrics")).text

    assert (read.json()["current"]["cell_id"], cell.json()["cell_type"]) == (world.cell, "factory")
    assert facility.json()["cell_id"] == world.new_cell
    assert posted.status_code == 202
    for spec in (t.WASTE_FLOW_EVENTS, t.WASTE_CELLS, t.WASTE_FACILITIES,
                 t.WASTE_FACILITY_CREDENTIALS):  # fmt: skip
        topic = system.topic(spec.name)
        counted = unreadable(metrics, "waste_intake_unreadable_records_total", topic)
        assert counted == poisons_on(system, world, spec), topic


async def poll(
    send: Callable[[], Awaitable[httpx.Response]], ok: int = 200, timeout_s: float = 60
) -> httpx.Response:
    """Sends until the answer is ``ok`` (a view may not have read the record yet)."""
    return await await_for(send, lambda r: r.status_code == ok, timeout_s)


async def test_the_scoring_worker_goes_on_past_the_poison(system: System, world: World) -> None:
    assessment = {"assessment_id": f"a-{uuid.uuid4().hex[:8]}", "kind": "inspection",
                  "occurred_at": datetime.now(UTC).isoformat(), "assessor": "inspector-1",
                  "passed": True}  # fmt: skip
    async with scoring_client(system) as scoring:
        posted = await scoring.post(f"/v1/cells/{world.cell}/assessments", json=assessment)
        assert posted.status_code == 202, posted.text
        totals = await totals_when(scoring, world.cell, lambda b: b["event_count"] >= 1, 120)
    async with httpx.AsyncClient(timeout=15) as web:
        metrics = (await web.get(f"{system['scoring-worker'].url}/metrics")).text
    month = await latest_value(system, t.CELL_MONTH_FLOWS, f"{world.new_cell}/{world.period}")
    scores = await latest_keys(system, t.CELL_SCORES)
    specs = (t.WASTE_FLOW_EVENTS, t.CELL_ASSESSMENTS, t.HAZARDOUS_EVENTS, t.SCORING_MANIFEST_FACTS)
    await wait_group_passed(system.bootstrap, system.scoring_group,
                            await all_records(system, *specs), 120)  # fmt: skip

    assert (totals["event_count"], totals["total_kg"]) == (1, 5.0)
    assert month["facts"]["manifests_total"] == 1, "the manifest after the poison was counted"
    assert any(k.startswith(f"{world.new_cell}/") for k in scores), "the new cell was scored"
    for spec in (t.WASTE_CELLS, t.WASTE_FACILITIES):
        topic = system.topic(spec.name)
        counted = unreadable(metrics, "scoring_api_unreadable_records_total", topic)
        assert counted == poisons_on(system, world, spec), topic


async def latest_value(system: System, spec: TopicSpec, key: str, timeout_s: float = 120) -> Any:
    """The data of the latest record under ``key`` on a compacted topic, once there is one."""

    async def read() -> dict[str, Any] | None:
        found = None
        for record in await read_topic(system.bootstrap, system.topic(spec.name)):
            if record.key == key.encode() and record.value:
                found = CloudEvent.from_bytes(record.value).data
        return found

    return await await_for(read, lambda v: v is not None, timeout_s)


async def latest_keys(system: System, spec: TopicSpec) -> set[str]:
    records = await read_topic(system.bootstrap, system.topic(spec.name))
    return {(r.key or b"").decode() for r in records}


def has_flow_events(answer: httpx.Response) -> bool:
    return answer.status_code == 200 and answer.json()["generated_kg"] > 0


async def test_the_scoring_api_skips_the_poison_and_reads_what_follows(
    system: System, world: World
) -> None:
    async with scoring_client(system) as scoring:
        totals = await poll(lambda: scoring.get(f"/v1/cells/{world.totals_cell}/totals"))
        path = f"/v1/cells/{world.new_cell}/flows/{PAST_PERIOD}"
        flows = await await_for(lambda: scoring.get(path), has_flow_events, 60)
        metrics = (await scoring.get("/metrics")).text

    assert (totals.json()["event_count"], totals.json()["total_kg"]) == (2, 42.0)
    assert flows.json()["generated_kg"] == 7.0, "the cell (registry) and its month were read"
    for spec in (t.CELL_TOTALS, t.WASTE_CELLS, t.CELL_MONTH_FLOWS):
        topic = system.topic(spec.name)
        counted = unreadable(metrics, "scoring_api_unreadable_records_total", topic)
        assert counted == poisons_on(system, world, spec), topic


async def test_the_transfer_node_goes_on_past_the_poison(system: System, world: World) -> None:
    async with httpx.AsyncClient(base_url=system["hazardous-api"].url, timeout=30) as api:
        # a command after the poison on every partition of the commands topic, and a
        # verdict after the poison on every partition of the results topic
        applied = await api.post("/applications", json={"details": details()}, headers=SHIPPER)
        path = f"/manifests/{world.manifest_no}"
        copied = await poll(lambda: api.get(path, headers=SH_OFFICIAL))
    specs = (t.HAZARDOUS_COMMANDS, t.HAZARDOUS_EVENTS)
    await wait_group_passed(system.bootstrap, system.hazardous_group,
                            await all_records(system, *specs), 120)  # fmt: skip
    api_log = system["hazardous-api"].process.logs(tail=10_000)  # type: ignore[union-attr]

    assert applied.status_code == 201, applied.text
    assert copied.json()["shipper_id"] == world.new_facility
    skipped = api_log.count("verdict listener: unreadable record")
    assert skipped == poisons_on(system, world, t.HAZARDOUS_COMMAND_RESULTS)
