"""Hazardous-waste manifests on the real broker: hazardous-transfer events (built with the
shared contracts, keyed by manifest number, as hazardous-transfer publishes them) and the
shipper's facility registration come back through the scoring API as the cell's
hazardous-manifest indicator and veto. Every expected figure is worked out by hand here
from shanghai-cells-v1.yaml; the replay then recomputes the same months from the logs."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from zw_shared.contracts import EventPayload, wrap
from zw_shared.contracts.hazardous import (
    ManifestDelivered,
    ManifestDrafted,
    ManifestEvent,
    ManifestOverdue,
    ManifestPickedUp,
    ManifestReceived,
    ManifestStep,
    ReceiverLicence,
    WasteDeclaration,
    WasteForm,
    event_key,
)
from zw_shared.contracts.waste import CellRegistered, FacilityRegistered
from zw_shared.testing.identities import official_headers
from zw_shared.testing.scoring_stack import provision, running_scoring
from zw_shared.topics import HAZARDOUS_EVENTS, WASTE_CELLS, WASTE_FACILITIES

pytestmark = pytest.mark.integration

WAIT_S = 30.0
SHIPPED = datetime(2024, 3, 4, 1, 0, tzinfo=UTC)  # a past month: March 2024 in Shanghai
MARCH = "2024-03"


_SERIALS = itertools.count(1)


def a_manifest_number() -> str:
    """14 digits: 2024, Shanghai (31), prefecture 01, a serial unique in this module."""
    return f"20243101{next(_SERIALS):06d}"


@dataclass
class Manifest:
    """One manifest's events, as hazardous-transfer's worker would record them."""

    number: str
    shipper: str
    kg: float

    def _common(self, step: str, days: float) -> dict[str, Any]:
        return {
            "command_id": f"{self.number}-{step}",
            "occurred_at": SHIPPED + timedelta(days=days),
            "actor": "someone",
            "origin_province": "31",
            "destination_province": "32",
            "manifest_no": self.number,
        }

    def drafted(self) -> ManifestDrafted:
        return ManifestDrafted(
            **self._common("draft", 0),
            shipper_id=self.shipper,
            receiver_id="receiver-js-1",
            carriers=("carrier-1",),
            origin_prefecture="01",
            waste=WasteDeclaration(
                waste_code="900-041-49",
                waste_name="contaminated packaging",
                quantity_kg=self.kg,
                form=WasteForm.SOLID,
                packaging="drums",
            ),
            method="D10",
            receiver_licence=ReceiverLicence(
                licence_no="JS-1", covers=("HW49",), valid_until=date(2030, 1, 1)
            ),
        )

    def picked_up(self) -> ManifestPickedUp:
        return ManifestPickedUp(
            **self._common("pickup", 0.1),
            carrier_id="carrier-1",
            vehicle="沪A12345",
            transport_permit="P-1",
            route="G2",
        )

    def delivered(self) -> ManifestDelivered:
        return ManifestDelivered(**self._common("deliver", 1), carrier_id="carrier-1")

    def overdue(self) -> ManifestOverdue:
        at = SHIPPED + timedelta(days=8)
        return ManifestOverdue(
            **self._common("overdue", 8), step=ManifestStep.RECEIPT_CONFIRMATION, deadline=at
        )

    def received(self, refused_kg: float = 0, days: float = 2) -> ManifestReceived:
        return ManifestReceived(
            **self._common("receive", days),
            receiver_id="receiver-js-1",
            accepted_kg=self.kg - refused_kg,
            refused_kg=refused_kg,
            method="D10",
            observed_code="900-041-49",
            observed_form=WasteForm.SOLID,
            observed_packaging="drums",
        )


@dataclass(frozen=True)
class Stack:
    prefix: str
    api: httpx.AsyncClient
    producer: AIOKafkaProducer

    async def send(self, topic: str, key: str, payload: EventPayload, event_id: str) -> None:
        envelope = wrap(payload, event_id=event_id, source="/test", time=SHIPPED, subject=key)
        await self.producer.send_and_wait(
            f"{self.prefix}{topic}", envelope.to_bytes(), key=key.encode()
        )

    async def a_factory_with_a_facility(self) -> tuple[str, str]:
        """A factory cell (200 staff) and its facility, which ships hazardous waste."""
        cell_id, facility_id = f"fct-{uuid.uuid4().hex[:6]}", f"fac-{uuid.uuid4().hex[:6]}"
        cell = CellRegistered(
            cell_id=cell_id,
            name="a factory",
            cell_type="factory",
            district="Jinshan",
            population=200,
        )
        facility = FacilityRegistered(
            facility_id=facility_id,
            name="the factory's plant",
            facility_type="generator",
            district="Jinshan",
            province="31",
            cell_id=cell_id,
        )
        await self.send(WASTE_CELLS.name, cell_id, cell, f"register-{cell_id}")
        await self.send(WASTE_FACILITIES.name, facility_id, facility, f"register-{facility_id}")
        return cell_id, facility_id

    async def transfer(self, *events: ManifestEvent) -> None:
        """As hazardous-transfer publishes: keyed by manifest number, id = event key."""
        for event in events:
            await self.send(HAZARDOUS_EVENTS.name, event.manifest_no, event, event_key(event))

    async def score_when(self, cell_id: str, done: Callable[[Any], bool]) -> dict[str, Any]:
        path = f"/v1/cells/{cell_id}/scores/{MARCH}"
        deadline = time.monotonic() + WAIT_S
        body: Any = None
        while time.monotonic() < deadline:
            response = await self.api.get(path)
            body = response.json()
            if response.status_code == 200 and done(body):
                return dict(body)
            await asyncio.sleep(0.2)
        raise AssertionError(f"{path} never satisfied the condition; last: {body}")


def manifests(score: dict[str, Any]) -> dict[str, Any]:
    return dict(next(i for i in score["indicators"] if i["id"] == "hazardous_manifest_compliance"))


def manifest_veto(score: dict[str, Any]) -> dict[str, Any]:
    veto = "hazardous_manifest_overdue_or_refused"
    return dict(next(v for v in score["vetoes"] if v["id"] == veto))


def denominator_is(kg: float) -> Callable[[Any], bool]:
    return lambda body: manifests(body)["counts"].get("denominator") == kg


@pytest.fixture(scope="module")
def stack_port(kafka_bootstrap: str) -> Iterator[tuple[int, str]]:
    prefix = provision(kafka_bootstrap, f"sh{uuid.uuid4().hex[:8]}.")
    with running_scoring(kafka_bootstrap, prefix) as api:
        yield api, prefix


@pytest.fixture
async def stack(stack_port: tuple[int, str], kafka_bootstrap: str) -> AsyncIterator[Stack]:
    port, prefix = stack_port
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=10, headers=official_headers()
    ) as api:
        yield Stack(prefix, api, producer)
    await producer.stop()


async def test_an_overdue_manifest_lowers_the_share_and_disqualifies_the_factory(
    stack: Stack,
) -> None:
    cell, shipper = await stack.a_factory_with_a_facility()
    on_time = Manifest(a_manifest_number(), shipper, 1_000)
    late = Manifest(a_manifest_number(), shipper, 600)
    on_its_way = Manifest(a_manifest_number(), shipper, 400)
    await stack.transfer(
        on_time.drafted(), on_time.picked_up(), on_time.delivered(), on_time.received()
    )
    await stack.transfer(on_time.received())  # redelivered: counts once
    await stack.transfer(late.drafted(), late.delivered(), late.overdue())
    await stack.transfer(late.received(days=9))  # received after its deadline
    await stack.transfer(on_its_way.drafted(), on_its_way.picked_up())

    score = await stack.score_when(cell, denominator_is(1_600))

    # judged: 1,000 kg closed on time + 600 kg overdue; 400 kg still on its way, not judged.
    # 1,000 / 1,600 = 0.625, below the floor 0.8: no points
    result = manifests(score)
    assert result["counts"] == {"numerator": 1_000, "denominator": 1_600}
    assert (result["value"], result["points"], result["status"]) == (0.625, 0, "not_met")
    veto = manifest_veto(score)
    assert (veto["count"], veto["triggered"]) == (1, True)
    assert (score["qualified"], score["band"]) == (False, "disqualified")


async def test_a_factory_is_qualified_until_a_load_is_refused(stack: Stack) -> None:
    cell, shipper = await stack.a_factory_with_a_facility()
    first = Manifest(a_manifest_number(), shipper, 500)
    await stack.transfer(first.drafted(), first.delivered(), first.received())

    closed = await stack.score_when(cell, denominator_is(500))
    refused = Manifest(a_manifest_number(), shipper, 300)
    await stack.transfer(refused.drafted(), refused.delivered(), refused.received(refused_kg=100))
    after = await stack.score_when(cell, denominator_is(800))

    # 500 of 500 kg on time: target 1.0 met, the full 10 points
    assert (manifests(closed)["value"], manifests(closed)["points"]) == (1.0, 10)
    assert (manifest_veto(closed)["triggered"], closed["qualified"]) == (False, True)
    # both closed on time (800 of 800 kg), but 100 kg refused: the veto disqualifies
    assert manifests(after)["value"] == 1.0
    assert (manifest_veto(after)["count"], after["qualified"]) == (1, False)


async def test_replay_recomputes_the_manifest_facts_the_worker_counted(
    stack: Stack, kafka_bootstrap: str
) -> None:
    cell, shipper = await stack.a_factory_with_a_facility()
    manifest = Manifest(a_manifest_number(), shipper, 250)
    await stack.transfer(manifest.drafted(), manifest.delivered(), manifest.overdue())
    await stack.score_when(cell, denominator_is(250))

    code, summary = await run_replay(stack.prefix, kafka_bootstrap)

    assert (code, summary["identical"]) == (0, True), summary
    assert summary["manifests"] >= 1


async def run_replay(prefix: str, kafka_bootstrap: str) -> tuple[int, dict[str, Any]]:
    script = str(Path(sys.executable).parent / "scoring-replay")
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": prefix,
        "SCORING_APP_ID": f"{prefix}scoring",
        "REPLAY_WAIT_S": str(WAIT_S),
    }
    process = await asyncio.create_subprocess_exec(
        script, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=2 * WAIT_S)
    lines = out.decode().strip().splitlines()
    assert lines, f"scoring-replay printed nothing; stderr: {err.decode()[-2000:]}"
    return int(process.returncode or 0), json.loads(lines[-1])
