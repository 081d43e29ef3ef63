"""Replay equals stream: recompute every cell's totals and months from the waste-flow and
assessment logs with the same handlers the worker uses, and compare them with what the
worker published. Each cell's flows are in one partition, in order, so the replay meets
them in the same order as the worker did; assessments only add to months' counts, so their
interleaving with flows does not change the result. Hazardous-transfer events are folded
per manifest as the worker folds them, and each manifest's final facts are counted in its
shipper's cell month (the worker replaces a manifest's facts at each change, so only the
last ones stay). The results must be identical."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from aiokafka import ConsumerRecord

from scoring.adapters.hazardous_records import read_transfer_event
from scoring.adapters.records import UnreadableRecord, read_assessment, read_flow_event
from scoring.domain.period_flows import PeriodFlows
from scoring.domain.periods import Period
from scoring.domain.totals import CellTotals
from scoring.handlers import FlowLedger, Refused, Stores, month_flows_updated, totals_updated
from scoring.manifest_handlers import (
    CellOf,
    ManifestFolder,
    count_contribution,
    manifest_facts_changed,
)
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated, CellTotalsUpdated
from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded

Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass
class Replayed:
    stores: Stores = field(
        default_factory=lambda: Stores(totals={}, months={}, ledger={}, index={})
    )
    events: int = 0
    skipped: int = 0  # unreadable or refused: dead-lettered by the worker too
    manifests: int = 0  # counted in a cell (a shipper that is no registered facility: not)

    def count(
        self, apply: Callable[[FlowLedger, Record], None], ledger: FlowLedger, record: Record
    ) -> None:
        self.events += 1
        try:
            apply(ledger, record)
        except (UnreadableRecord, Refused):
            self.skipped += 1


async def replay(
    flows: AsyncIterable[ConsumerRecord[bytes, bytes]],
    assessments: AsyncIterable[ConsumerRecord[bytes, bytes]],
    zone: ZoneInfo,
    on_time: timedelta,
    transfers: AsyncIterable[ConsumerRecord[bytes, bytes]] | None = None,
    cell_of: CellOf | None = None,
) -> Replayed:
    """``transfers``: the hazardous-transfer events; ``cell_of``: a facility's cell."""
    result = Replayed()
    ledger = FlowLedger(result.stores, zone, on_time)
    async for record in flows:
        result.count(_apply_flow, ledger, record)
    async for record in assessments:
        result.count(_apply_assessment, ledger, record)
    if transfers is not None:
        await _replay_manifests(result, ledger, transfers, cell_of or (lambda _: None), zone)
    return result


async def _replay_manifests(
    result: Replayed,
    ledger: FlowLedger,
    transfers: AsyncIterable[ConsumerRecord[bytes, bytes]],
    cell_of: CellOf,
    zone: ZoneInfo,
) -> None:
    records: dict[str, Any] = {}
    folder = ManifestFolder(records, cell_of, zone)
    async for record in transfers:
        result.events += 1
        try:
            envelope, event = read_transfer_event(record.key, record.value)
        except UnreadableRecord:
            result.skipped += 1
            continue
        if event is not None:
            folder.fold(event, envelope.id)
    for manifest_no in sorted(records):
        contribution = folder.record(manifest_no).contribution()
        if contribution is not None:
            count_contribution(ledger, manifest_facts_changed(contribution))
            result.manifests += 1


def _apply_assessment(ledger: FlowLedger, record: Record) -> None:
    ledger.assess(read_assessment(record.key, record.value)[1])


def _apply_flow(ledger: FlowLedger, record: Record) -> None:
    envelope, payload = read_flow_event(record.key, record.value)
    if isinstance(payload, WasteFlowRecorded):
        ledger.record(payload, envelope.time)
    elif isinstance(payload, WasteFlowCorrected):
        ledger.correct(payload, envelope.time)
    else:
        ledger.void(payload)


def differences(
    replayed: Stores,
    streamed_totals: Mapping[str, CellTotalsUpdated],
    streamed_months: Mapping[str, CellPeriodFlowsUpdated],
) -> list[str]:
    """What the stream published that the replay does not reproduce (empty: identical)."""
    expected_totals = {
        cell: totals_updated(CellTotals.from_state(state))
        for cell, state in replayed.totals.items()
    }
    expected_months = {
        _month_topic_key(key): month_flows_updated(PeriodFlows.from_state(state))
        for key, state in replayed.months.items()
    }
    return _compare("totals", expected_totals, streamed_totals) + _compare(
        "month", expected_months, streamed_months
    )


def _month_topic_key(table_key: str) -> str:
    cell_id, _, period = table_key.rpartition("|")
    return f"{cell_id}/{Period.parse(period).key}"


def _compare(
    what: str, expected: Mapping[str, object], streamed: Mapping[str, object]
) -> list[str]:
    found = []
    for key in sorted(set(expected) | set(streamed)):
        if key not in streamed:
            found.append(f"{what} {key}: replayed but never published")
        elif key not in expected:
            found.append(f"{what} {key}: published but not replayed")
        elif expected[key] != streamed[key]:
            found.append(f"{what} {key}: replay {expected[key]!r} != stream {streamed[key]!r}")
    return found
