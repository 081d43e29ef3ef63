"""A batch whose writes the broker stops acknowledging part-way answers 503 and says, item by
item, what was recorded and what was not: it never half-succeeds silently."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from intake_unit_builders import a_report

from waste_intake.bootstrap import build_api_deps
from waste_intake.domain.credentials import key_hash
from waste_intake.entrypoints.api import create_app
from waste_intake.settings import IntakeSettings
from zw_shared.adapters.publisher import BrokerUnavailable, Published
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.waste import (
    CellRegistered,
    FacilityCredentialIssued,
    FacilityRegistered,
)


class FailsForOneEvent:
    def __init__(self, failing_id: str) -> None:
        self.failing_id = failing_id
        self.offset = 0

    async def publish(self, topic: str, key: str, event: CloudEvent) -> Published:
        if event.id.endswith(self.failing_id):
            raise BrokerUnavailable("not acknowledged")
        self.offset += 1
        return Published(topic, 0, self.offset)


def _app_with(publisher: FailsForOneEvent) -> httpx.AsyncClient:
    deps = build_api_deps(IntakeSettings())
    object.__setattr__(deps.flows._ctx, "publisher", publisher)  # the fake in place of Kafka
    deps.views.caught_up = True
    deps.registry.apply(
        CellRegistered(cell_id="cell-1", name="c", cell_type="campus", district="d",  # type: ignore[arg-type]
                       population=10)
    )  # fmt: skip
    deps.registry.apply(
        FacilityRegistered(facility_id="fac-01", name="f", facility_type="generator",  # type: ignore[arg-type]
                           district="d", province="31", cell_id="cell-1")
    )  # fmt: skip
    deps.registry.apply(
        FacilityCredentialIssued(
            facility_id="fac-01", key_sha256=key_hash("zwk_k"), issued_at=datetime.now(UTC)
        )
    )
    transport = httpx.ASGITransport(app=create_app(deps))
    return httpx.AsyncClient(transport=transport, base_url="http://intake")


async def test_a_batch_the_broker_fails_part_way_is_503_with_what_was_not_recorded() -> None:
    rows = [
        a_report(event_id=f"e-{i}", occurred_at=datetime.now(UTC).isoformat()).model_dump(
            mode="json", exclude_none=True
        )
        for i in range(3)
    ]
    async with _app_with(FailsForOneEvent("/e-1")) as client:
        response = await client.post(
            "/v1/facilities/fac-01/events/batch",
            json=rows,
            headers={"Authorization": "Bearer zwk_k"},
        )

    assert response.status_code == 503
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["accepted", "failed", "accepted"]
    assert body["counts"]["failed"] == 1
    assert "not acknowledged" in body["results"][1]["reason"]
