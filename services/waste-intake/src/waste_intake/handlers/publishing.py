"""Publishing one event with the broker's acknowledgement, timed and counted."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol

from waste_intake import metrics
from waste_intake.domain.ledger import FlowEvent, Location
from zw_shared.adapters.publisher import BrokerUnavailable, Published
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import wrap


class Publisher(Protocol):
    async def publish(self, topic: str, key: str, event: CloudEvent) -> Published: ...


def flow_envelope(event: FlowEvent, occurred_at: datetime) -> CloudEvent:
    """CloudEvent id is the dedup key ``facility_id/event_id`` (event ids are the facility's
    own); ``time`` is when the flow occurred, so the envelope is a function of the report."""
    return wrap(
        event,
        event_id=event.dedup_key,
        source=f"/facilities/{event.facility_id}",
        time=occurred_at,
        subject=event.cell_id,
    )


async def publish(publisher: Publisher, topic: str, key: str, envelope: CloudEvent) -> Location:
    began = time.perf_counter()
    try:
        published = await publisher.publish(topic, key, envelope)
    except BrokerUnavailable:
        metrics.PUBLISH_FAILURES.inc()
        raise
    metrics.PUBLISH_LATENCY.observe(time.perf_counter() - began)
    return Location(published.topic, published.partition, published.offset)
