"""A node copying another node's event writes its tables, so the producer must know their
changelog topics first: an event that comes before any command (a fresh worker copying)
once crashed the copying agent (aiokafka: no metadata for the changelog topic)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import faust

from hazardous_transfer.adapters.tables import TABLE_NAMES, Tables
from hazardous_transfer.adapters.transfer_worker import Headers, TransferWorker
from hazardous_transfer.domain.policy import TransferPolicy
from zw_shared.contracts import wrap
from zw_shared.contracts.hazardous import ManifestDrafted

TOPICS = {"events": "events", "results": "results", "dead_letters": "dead-letters"}


class WarmingTables(Tables):
    """Notes how many manifests the tables held each time they were warmed up."""

    warmed_at: list[int]

    async def warm_up(self) -> None:
        self.warmed_at.append(len(self.by_name["manifests"]))


def a_manifest_of_another_node() -> bytes:
    drafted = ManifestDrafted.model_validate({
        "command_id": "zj:1", "occurred_at": datetime(2026, 3, 2, 2, tzinfo=UTC).isoformat(),
        "actor": "shipper-zj-1", "origin_province": "33", "destination_province": "32",
        "manifest_no": "20263301000001", "shipper_id": "shipper-zj-1",
        "receiver_id": "receiver-js-1", "carriers": ["carrier-zj-1"], "origin_prefecture": "01",
        "waste": {"waste_code": "900-041-49", "waste_name": "废包装桶", "quantity_kg": 100,
                  "form": "solid", "packaging": "steel drums"},
        "method": "R4", "receiver_licence": {"licence_no": "JS-HW-0001", "covers": ["HW49"],
                                             "valid_until": "2028-12-31"},
    })  # fmt: skip
    envelope = wrap(drafted, event_id="zj:1/drafted", source="hazardous-transfer/zj",
                    time=drafted.occurred_at, subject=drafted.manifest_no)  # fmt: skip
    return envelope.to_bytes()


async def never_sent(topic: str, key: bytes, value: bytes, headers: Headers | None) -> Any:
    raise AssertionError(f"nothing is sent when copying, yet {topic} got a record")


async def test_copying_another_nodes_event_warms_the_tables_up_before_writing_them() -> None:
    tables = WarmingTables({name: {} for name in TABLE_NAMES}, cast(faust.App, None))
    tables.warmed_at = []
    node = TransferWorker(tables, TOPICS, never_sent, TransferPolicy(), frozenset({"32"}), "js")

    await node.on_event(a_manifest_of_another_node(), "events/0/0")

    assert tables.warmed_at == [0], "warmed up once, before the copy was written"
    assert list(tables.by_name["manifests"]) == ["20263301000001"]
