"""The live-updates feed: what a view's record means to a client, bounded queues that turn
an overflow into one resync, a limit on clients, and listeners on a compacted view."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord

from scoring.adapters.change_feed import ChangeFeed, TooManyClients, change_of
from scoring.adapters.compacted_view import CompactedView, Latest, ViewConfig
from zw_shared.contracts.registry import wrap
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated, CellTotalsUpdated
from zw_shared.contracts.waste import CellRegistered


def a_feed(queue_size: int = 3, max_clients: int = 2) -> ChangeFeed:
    return ChangeFeed(queue_size, max_clients, ping_s=15, send_timeout_s=5)


def totals(cell_id: str) -> CellTotalsUpdated:
    return CellTotalsUpdated(
        cell_id=cell_id, total_kg=1, kg_by_category={}, kg_by_stage={}, event_count=1
    )


def test_each_view_record_becomes_a_change_naming_the_cell() -> None:
    month = CellPeriodFlowsUpdated(cell_id="a", period="2026-11", mass=(), facts={}, report_days={})
    cell = CellRegistered(cell_id="a", name="A", cell_type="campus", district="Xuhui", population=5)

    assert change_of(1, "a", totals("a")).kind == "totals"
    assert (change_of(2, "a/2026-11", month).kind, change_of(2, "a/2026-11", month).period) == (
        "month",
        "2026-11",
    )
    assert change_of(3, "a", cell).cell_id == "a"
    assert (change_of(4, "a/2026-10", None).kind, change_of(4, "a/2026-10", None).cell_id) == (
        "deleted",
        "a",
    )


async def test_every_client_hears_every_change_in_order() -> None:
    feed = a_feed()
    first, second = feed.subscribe(), feed.subscribe()

    feed.notify("a", totals("a"))
    feed.notify("b", totals("b"))

    for client in (first, second):
        assert [(await client.next()).key for _ in range(2)] == ["a", "b"]


async def test_a_client_that_falls_behind_gets_one_resync_instead_of_the_lost_changes() -> None:
    feed = a_feed(queue_size=3)
    slow = feed.subscribe()

    for key in "abcde":
        feed.notify(key, totals(key))

    # a, b, c filled the queue; d overflowed it (a, b, c lost, replaced by a resync); e queued
    assert [(await slow.next()).kind for _ in range(2)] == ["resync", "totals"]
    assert (slow.pending(), slow.dropped) == (0, 3)


def test_the_feed_refuses_clients_beyond_its_limit_and_forgets_those_that_left() -> None:
    feed = a_feed(max_clients=2)
    first = feed.subscribe()
    feed.subscribe()

    with pytest.raises(TooManyClients):
        feed.subscribe()
    feed.unsubscribe(first)
    feed.notify("a", totals("a"))

    assert feed.clients == 2 - 1
    assert first.pending() == 0  # no longer fed
    feed.subscribe()


def test_a_queue_too_small_for_a_change_and_a_resync_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        ChangeFeed(1, 1, ping_s=15, send_timeout_s=5)


def a_record(key: str, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("totals", 0, 0, 0, 0, key.encode(), value, None, 0, 0, [])


def a_totals_view() -> CompactedView[CellTotalsUpdated]:
    config = ViewConfig("127.0.0.1:9", "test", poll_timeout_ms=10, max_records=10)
    return CompactedView(config, "totals", CellTotalsUpdated, Latest())


def test_a_views_listeners_hear_each_applied_record_and_tombstone() -> None:
    view, heard = a_totals_view(), []
    view.subscribe(lambda key, payload: heard.append((key, payload)))
    event = wrap(totals("a"), event_id="e1", source="/test", time=datetime.now(UTC), subject="a")

    view._apply(a_record("a", event.to_bytes()))
    view._apply(a_record("a", None))
    view._apply(a_record("b", b"not an event"))  # unreadable: skipped, not heard

    assert heard == [("a", totals("a")), ("a", None)]


def test_a_failing_listener_neither_stops_the_view_nor_the_other_listeners() -> None:
    view, heard = a_totals_view(), []

    def broken(key: str, payload: object) -> None:
        raise RuntimeError("bug")

    view.subscribe(broken)
    view.subscribe(lambda key, payload: heard.append(key))
    event = wrap(totals("a"), event_id="e1", source="/test", time=datetime.now(UTC), subject="a")

    view._apply(a_record("a", event.to_bytes()))

    assert heard == ["a"]
    assert view.store.get("a") == totals("a")  # type: ignore[attr-defined]
