"""Reading hazardous-transfer records, and the replay of manifests: it must count what the
worker counts event by event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import ConsumerRecord
from scoring_manifest_builders import SHIPPER, delivered, drafted, key_of, overdue, received

from scoring.adapters.hazardous_records import read_manifest_facts, read_transfer_event
from scoring.adapters.records import Unreadable, UnreadableRecord
from scoring.domain.period_flows import PeriodFlows
from scoring.handlers import FlowLedger, Stores, month_flows_updated
from scoring.manifest_handlers import ManifestFolder, count_contribution, manifest_facts_changed
from scoring.replay import differences, replay
from zw_shared.contracts import EventPayload, wrap
from zw_shared.contracts.hazardous import ConsultationSent, ManifestEvent
from zw_shared.contracts.waste import CellRegistered

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 2, tzinfo=UTC)


def raw(payload: EventPayload, event_id: str = "e-1") -> bytes:
    return wrap(payload, event_id=event_id, source="/test", time=AT, subject="s").to_bytes()


def a_cell() -> CellRegistered:
    return CellRegistered(cell_id="c", name="c", cell_type="campus", district="d", population=1)


def a_record(event: ManifestEvent, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    value = raw(event, key_of(event))
    key = event.manifest_no.encode()
    return ConsumerRecord("t", 0, offset, 0, 0, key, value, None, len(key), len(value), ())


async def records(*items: ConsumerRecord[bytes, bytes]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def test_a_manifest_event_is_read_with_its_envelope() -> None:
    event = received(100)
    envelope, read = read_transfer_event(event.manifest_no.encode(), raw(event))

    assert (envelope.id, read) == ("e-1", event)


def test_an_application_event_is_read_but_not_counted() -> None:
    consulted = ConsultationSent(
        command_id="c",
        occurred_at=AT,
        actor="official-31",
        origin_province="31",
        destination_province="32",
        application_id="app-1",
    )

    assert read_transfer_event(b"app-1", raw(consulted))[1] is None


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (b"20263101000009", None, Unreadable.NO_VALUE),
        (b"20263101000001", b"{not json", Unreadable.INVALID_ENVELOPE),
        (b"20263101000009", raw(received(100)), Unreadable.KEY_MISMATCH),
        (
            b"c",
            raw(
                CellRegistered(
                    cell_id="c", name="c", cell_type="campus", district="d", population=1
                )
            ),
            Unreadable.UNEXPECTED_EVENT_TYPE,
        ),
    ],
)
def test_an_unreadable_transfer_record_names_why(
    key: bytes, value: bytes | None, reason: Unreadable
) -> None:
    with pytest.raises(UnreadableRecord) as caught:
        read_transfer_event(key, value)

    assert caught.value.reason is reason


def test_manifest_facts_must_be_keyed_by_their_cell() -> None:
    folder = ManifestFolder({}, {SHIPPER: "cell-1"}.get, SHANGHAI)
    _, contribution = folder.fold(drafted(10), "e")
    assert contribution is not None
    value = raw(manifest_facts_changed(contribution))

    assert read_manifest_facts(b"cell-1", value)[1].sequence == 1
    with pytest.raises(UnreadableRecord, match="not the event's cell_id 'cell-1'"):
        read_manifest_facts(b"cell-2", value)


async def test_replayed_manifests_equal_what_the_worker_counted_event_by_event() -> None:
    other = "20263101000002"
    events: list[ManifestEvent] = [
        drafted(1_000),
        drafted(600, number=other, paper_issued_on=date(2026, 10, 30)),
        delivered(),
        received(1_000),
        delivered(number=other),
        overdue(number=other),
        received(1_000),  # a repeat
    ]
    streamed = Stores(totals={}, months={}, ledger={}, index={})
    worker = FlowLedger(streamed, SHANGHAI, timedelta(hours=72))
    folder = ManifestFolder({}, {SHIPPER: "cell-1"}.get, SHANGHAI)
    for event in events:
        _, contribution = folder.fold(event, key_of(event))
        assert contribution is not None
        count_contribution(worker, manifest_facts_changed(contribution))
    published = {
        key.replace("|", "/"): month_flows_updated(PeriodFlows.from_state(state))
        for key, state in streamed.months.items()
    }

    replayed = await replay(
        records(),
        records(),
        SHANGHAI,
        timedelta(hours=72),
        transfers=records(*(a_record(e, offset) for offset, e in enumerate(events))),
        cell_of={SHIPPER: "cell-1"}.get,
    )

    assert sorted(published) == ["cell-1/2026-10", "cell-1/2026-11"]
    assert (replayed.events, replayed.manifests) == (7, 2)
    assert differences(replayed.stores, {}, published) == []
