"""scoring-replay: recompute every cell's totals and months from the beginning of the
waste-flow, assessment and hazardous-transfer logs (with waste-intake's facility registry
for the shippers' cells) and compare them with what the streaming worker published.

Run: ``scoring-replay`` with the worker's environment (KAFKA_BOOTSTRAP_SERVERS,
TOPIC_PREFIX, SCORING_APP_ID, SCORING_TIMEZONE, REPORT_ON_TIME_WITHIN_HOURS). It first waits
(REPLAY_WAIT_S) until the worker's group has committed the log's current end, then prints
one JSON line and exits 0 when replay equals stream, 1 when it does not, 2 when the worker
did not catch up in time.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TypeVar

from aiokafka import TopicPartition

from scoring.adapters.compacted_view import Latest, read_payload
from scoring.adapters.log_reader import (
    data_ends,
    end_offsets,
    partitions_of,
    read_to,
    wait_for_group,
)
from scoring.replay import differences, replay
from scoring.settings import ScoringSettings
from zw_shared.adapters.kafka_connect import bound_connection_setup
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated, CellTotalsUpdated
from zw_shared.contracts.waste import FacilityRegistered
from zw_shared.topics import (
    CELL_ASSESSMENTS,
    CELL_MONTH_FLOWS,
    CELL_TOTALS,
    HAZARDOUS_EVENTS,
    SCORING_MANIFEST_FACTS,
    WASTE_FACILITIES,
    WASTE_FLOW_EVENTS,
)


async def run(settings: ScoringSettings) -> int:
    bootstrap = settings.kafka_bootstrap_servers
    flow_ends = await _ends(settings, WASTE_FLOW_EVENTS.name)
    assessment_ends = await _ends(settings, CELL_ASSESSMENTS.name)
    transfer_ends = await _ends(settings, HAZARDOUS_EVENTS.name)
    # the manifests' facts pass through the worker's own repartition topic: its end is
    # read once the worker has consumed the hazardous log
    if not (
        await _caught_up(settings, {**flow_ends, **assessment_ends, **transfer_ends})
        and await _caught_up(settings, await _ends(settings, SCORING_MANIFEST_FACTS.name))
    ):
        print(json.dumps({"error": f"worker group {settings.scoring_app_id} did not catch up"}))
        return 2
    facilities = await _latest(settings, WASTE_FACILITIES.name, FacilityRegistered)
    replayed = await replay(
        read_to(bootstrap, flow_ends),
        read_to(bootstrap, assessment_ends),
        settings.zone,
        settings.on_time_within,
        transfers=read_to(bootstrap, transfer_ends),
        cell_of=lambda facility_id: _cell_of(facilities, facility_id),
    )
    totals = await _latest(settings, CELL_TOTALS.name, CellTotalsUpdated)
    months = await _latest(settings, CELL_MONTH_FLOWS.name, CellPeriodFlowsUpdated)
    found = differences(replayed.stores, totals.items, months.items)
    summary = {
        "events": replayed.events,
        "skipped": replayed.skipped,
        "cells": len(replayed.stores.totals),
        "months": len(replayed.stores.months),
        "manifests": replayed.manifests,
        "identical": not found,
        "differences": found[:50],
    }
    print(json.dumps(summary))
    return 0 if not found else 1


async def _caught_up(settings: ScoringSettings, ends: dict[TopicPartition, int]) -> bool:
    bootstrap = settings.kafka_bootstrap_servers
    consumed = await data_ends(bootstrap, ends)
    return await wait_for_group(
        bootstrap, settings.scoring_app_id, consumed, settings.replay_wait_s
    )


def _cell_of(facilities: Latest[FacilityRegistered], facility_id: str) -> str | None:
    facility = facilities.get(facility_id)
    return None if facility is None else facility.cell_id


async def _ends(settings: ScoringSettings, name: str) -> dict[TopicPartition, int]:
    bootstrap = settings.kafka_bootstrap_servers
    return await end_offsets(bootstrap, await partitions_of(bootstrap, settings.topic(name)))


P = TypeVar("P", CellTotalsUpdated, CellPeriodFlowsUpdated, FacilityRegistered)


async def _latest(settings: ScoringSettings, name: str, payload_type: type[P]) -> Latest[P]:
    """The latest payload per key of a compacted topic, as it stands now."""
    latest: Latest[P] = Latest()
    async for record in read_to(settings.kafka_bootstrap_servers, await _ends(settings, name)):
        if record.key is None:
            continue
        if record.value is None:
            latest.delete(record.key.decode())
            continue
        payload = read_payload(record, payload_type)
        if payload is not None:
            latest.put(record.key.decode(), payload)
    return latest


def main() -> None:
    settings = ScoringSettings()
    bound_connection_setup(settings.kafka_connect_timeout_s)
    sys.exit(asyncio.run(run(settings)))


if __name__ == "__main__":
    main()
