"""Hazardous-waste manifests for the fault tests, at one province node serving Jiangsu (32)
and Shanghai (31): an approved application, then manifests driven through every step by
clients that retry each command with its Idempotency-Key until they get an answer."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from faults_support import Record, read_topic, until_answered

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.testing.identities import actor_headers

SHIPPER = actor_headers("shipper-js-1", "shipper")
CARRIER = actor_headers("carrier-js-1", "carrier")
RECEIVER = actor_headers("receiver-sh-1", "receiver")
JS_OFFICIAL = actor_headers("official-js", "official", "32")
SH_OFFICIAL = actor_headers("official-sh", "official", "31")
MANIFEST_KG = 100.0
# Every step of a manifest that goes smoothly, as the events it records (once each).
STEPS = (
    "hazardous.manifest.drafted",
    "hazardous.manifest.picked-up",
    "hazardous.manifest.delivered",
    "hazardous.manifest.received",
    "hazardous.manifest.processed",
)
TRUCK = {"vehicle": "苏E12345", "transport_permit": "苏交运危 320500001", "route": "G2"}
RECEIPT = {"accepted_kg": MANIFEST_KG, "refused_kg": 0, "method": "R4",
           "observed_code": "900-041-49", "observed_form": "solid",
           "observed_packaging": "steel drums"}  # fmt: skip


def details() -> dict[str, Any]:
    return {
        "shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
        "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
        "waste_code": "900-041-49", "waste_category": "HW49", "waste_name": "废包装桶",
        "quantity_kg": 50_000, "method": "R4",
        "requested_from": "2026-01-01", "requested_until": "2027-06-30",
        "receiver_licence": {"licence_no": "SH-HW-0001", "covers": ["HW49"],
                             "valid_until": "2028-12-31"},
    }  # fmt: skip


def manifest_body(approval_id: str) -> dict[str, Any]:
    return {
        "shipper_id": "shipper-js-1", "receiver_id": "receiver-sh-1",
        "carriers": ["carrier-js-1"],
        "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
        "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶",
                  "quantity_kg": MANIFEST_KG, "form": "solid", "packaging": "steel drums"},
        "method": "R4", "approval_id": approval_id,
    }  # fmt: skip


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def approved_application(api: httpx.Client) -> str:
    """Applied, accepted, consulted, agreed by Shanghai, approved by Jiangsu."""
    applied = ok(api.post("/applications", json={"details": details()}, headers=SHIPPER), 201)
    app_id = applied["record_id"]
    ok(api.post(f"/applications/{app_id}/acceptance", headers=JS_OFFICIAL))
    ok(api.post(f"/applications/{app_id}/consultation", headers=JS_OFFICIAL))
    answer = {"agreed": True}
    ok(api.post(f"/applications/{app_id}/answer", json=answer, headers=SH_OFFICIAL))
    ok(api.post(f"/applications/{app_id}/approval", headers=JS_OFFICIAL))
    record = ok(api.get(f"/applications/{app_id}", headers=JS_OFFICIAL))
    return str(record["approval"]["approval_id"])


class ManifestRun:
    """Drives one manifest through every step; each command is retried with the same
    Idempotency-Key (504: no verdict in time, 503: worker or broker away, lost answers)."""

    def __init__(self, api: httpx.AsyncClient, approval_id: str, timeout_s: float) -> None:
        self.api = api
        self.approval_id = approval_id
        self.deadline = time.monotonic() + timeout_s
        self.run_id = uuid.uuid4().hex[:10]
        self.manifest_no: str | None = None
        self.attempts = 0
        self.not_found: list[str] = []

    async def command(self, step: str, path: str, who: dict[str, str], body: Any = None) -> Any:
        headers = who | {"Idempotency-Key": f"{self.run_id}-{step}"}
        while True:
            answer, attempts = await until_answered(
                lambda: self.api.post(path, json=body, headers=headers), self.deadline
            )
            self.attempts += attempts
            # The manifest was drafted (201): "no manifest" is a lost write, or one the node
            # reports as unknown while a restarted worker restores it (it must answer 503).
            # Counted (the test fails on it), then retried to tell the two apart.
            if answer.status_code != 404 or step == "draft" or time.monotonic() > self.deadline:
                return ok(answer, 201 if step == "draft" else 200)
            self.not_found.append(f"{step} {path}: {answer.text}")
            await asyncio.sleep(0.5)

    async def run(self) -> str:
        drafted = await self.command(
            "draft", "/manifests", SHIPPER, manifest_body(self.approval_id)
        )
        no = self.manifest_no = drafted["record_id"]
        await self.command("pickup", f"/manifests/{no}/pickup", CARRIER, TRUCK)
        await self.command("delivery", f"/manifests/{no}/delivery", CARRIER)
        await self.command("receipt", f"/manifests/{no}/receipt", RECEIVER, RECEIPT)
        await self.command("processing", f"/manifests/{no}/processing", RECEIVER)
        return str(no)


def transitions(records: list[Record]) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """The manifest transitions on the events topic, (manifest_no, event type) counted,
    and the CloudEvents ids counted."""
    by_step: Counter[tuple[str, str]] = Counter()
    ids: Counter[str] = Counter()
    for record in records:
        try:
            envelope = CloudEvent.from_bytes(record.value or b"")
        except ValueError:  # another test's poison on the shared topic
            continue
        if envelope.type.startswith("hazardous.manifest."):
            by_step[(str(envelope.data.get("manifest_no")), envelope.type)] += 1
            ids[envelope.id] += 1
    return by_step, ids


def steps_of(by_step: Counter[tuple[str, str]], numbers: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for (no, step), count in by_step.items():
        if no in numbers:
            found[no].extend([step] * count)
    return {no: sorted(found[no]) for no in numbers}


async def status_of(api: httpx.AsyncClient, manifest_no: str) -> str:
    answer = await api.get(f"/manifests/{manifest_no}", headers=SHIPPER)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


async def until_drafted(runs: list[ManifestRun], count: int, timeout_s: float = 120) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while sum(run.manifest_no is not None for run in runs) < count:
        assert asyncio.get_running_loop().time() < deadline, "the manifests never got drafted"
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Manifests:
    """Manifests driven through every step across a fault, and what the node recorded."""

    runs: list[ManifestRun]
    numbers: set[str]  # the numbers the node answered with
    by_step: Counter[tuple[str, str]]  # (manifest number, event type) on the events topic
    ids: Counter[str]  # CloudEvents ids on the events topic
    states: dict[str, str]  # each manifest's status as the API reads it afterwards

    def assert_every_transition_once(self) -> None:
        """Every manifest processed, each of its steps recorded exactly once, and no
        manifest answered 201 read as unknown afterwards."""
        assert len(self.numbers) == len(self.runs), f"numbers shared: {sorted(self.numbers)}"
        assert set(self.states.values()) == {"processed"}, self.states
        found = steps_of(self.by_step, self.numbers)
        wrong = {no: steps for no, steps in found.items() if steps != sorted(STEPS)}
        assert not wrong, f"manifests whose steps are not each recorded once: {wrong}"
        drafted = self.drafted()
        assert len(drafted) == len(set(drafted)), "a manifest drafted twice"
        assert not {i: n for i, n in self.ids.items() if n > 1}, "an event published twice"
        # a manifest answered 201 is never "unknown" afterwards, not even while a worker
        # restores its tables (it answers 503, which clients retry)
        lost = [miss for run in self.runs for miss in run.not_found]
        assert not lost, f"a manifest answered 201 read 404 afterwards: {lost}"

    def drafted(self) -> list[str]:
        return [no for (no, step) in self.by_step if step == STEPS[0]]


async def manifests_through(
    api_url: str,
    bootstrap: str,
    events_topic: str,
    fault: Callable[[], Awaitable[None]],
    count: int = 12,
    concurrent: int = 6,
) -> Manifests:
    """Drives ``count`` manifests (``concurrent`` at a time) under one approved application;
    runs ``fault`` once half of the first wave is drafted (commands in flight, none
    finished); returns what the node recorded once every manifest is processed."""
    with httpx.Client(base_url=api_url, timeout=30) as setup:
        approval_id = approved_application(setup)
    gate = asyncio.Semaphore(concurrent)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as api:
        runs = [ManifestRun(api, approval_id, timeout_s=200) for _ in range(count)]

        async def one(run: ManifestRun) -> str:
            async with gate:
                return await run.run()

        tasks = [asyncio.create_task(one(run)) for run in runs]
        await until_drafted(runs, concurrent // 2)
        await fault()
        numbers = set(await asyncio.gather(*tasks))

        by_step, ids = transitions(await read_topic(bootstrap, events_topic))
        states = {no: await status_of(api, no) for no in numbers}
    return Manifests(runs, numbers, by_step, ids, states)
