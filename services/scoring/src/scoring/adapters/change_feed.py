"""Live changes of the API's views (a cell's totals, a month of its flows, a registration),
fanned out to the clients of the server-sent-events stream.

Each client has a bounded queue. A client that falls behind by more than its queue loses
the queued changes and gets one ``resync`` change instead (it re-reads what it shows);
the feed never blocks the views and never grows without bound. Clients are removed when
they disconnect (the stream's generator unsubscribes), and at most ``max_clients`` at once."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import asdict, dataclass
from typing import Any, Literal

from prometheus_client import Counter, Gauge

from zw_shared.contracts.registry import EventPayload
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated, CellTotalsUpdated
from zw_shared.contracts.waste import CellRegistered

Kind = Literal["totals", "month", "cell", "deleted", "resync"]

CLIENTS = Gauge("scoring_api_live_clients", "Clients of the live-updates stream")
DROPPED = Counter(
    "scoring_api_live_changes_dropped_total",
    "Changes dropped for live clients that fell behind (each was told to resync)",
)


@dataclass(frozen=True)
class Change:
    seq: int
    kind: Kind
    key: str
    cell_id: str | None = None
    period: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def change_of(seq: int, key: str, payload: EventPayload | None) -> Change:
    """What a record applied to a view means to a dashboard."""
    if isinstance(payload, CellTotalsUpdated):
        return Change(seq, "totals", key, payload.cell_id)
    if isinstance(payload, CellPeriodFlowsUpdated):
        return Change(seq, "month", key, payload.cell_id, payload.period)
    if isinstance(payload, CellRegistered):
        return Change(seq, "cell", key, payload.cell_id)
    return Change(seq, "deleted", key, key.split("/", 1)[0])


class TooManyClients(RuntimeError):
    pass


class Subscription:
    def __init__(self, queue_size: int) -> None:
        self._queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=queue_size)
        self.dropped = 0

    def offer(self, change: Change) -> None:
        if self._queue.full():
            lost = self._queue.qsize()
            while not self._queue.empty():
                self._queue.get_nowait()
            self.dropped += lost
            DROPPED.inc(lost)
            change = Change(change.seq, "resync", change.key)
        self._queue.put_nowait(change)

    async def next(self) -> Change:
        return await self._queue.get()

    def pending(self) -> int:
        return self._queue.qsize()


class ChangeFeed:
    """``notify`` is a view listener (see ``CompactedView.subscribe``)."""

    def __init__(
        self, queue_size: int, max_clients: int, ping_s: float, send_timeout_s: float
    ) -> None:
        if queue_size < 2:
            raise ValueError("queue_size must be at least 2 (a change and a resync)")
        self.queue_size = queue_size
        self.max_clients = max_clients
        self.ping_s = ping_s
        self.send_timeout_s = send_timeout_s
        self._seq = itertools.count(1)
        self._subscriptions: set[Subscription] = set()

    @property
    def clients(self) -> int:
        return len(self._subscriptions)

    @property
    def full(self) -> bool:
        return len(self._subscriptions) >= self.max_clients

    def notify(self, key: str, payload: EventPayload | None) -> None:
        if not self._subscriptions:
            return
        change = change_of(next(self._seq), key, payload)
        for subscription in self._subscriptions:
            subscription.offer(change)

    def subscribe(self) -> Subscription:
        if self.full:
            raise TooManyClients(f"{self.max_clients} live clients already connected")
        subscription = Subscription(self.queue_size)
        self._subscriptions.add(subscription)
        CLIENTS.set(len(self._subscriptions))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        CLIENTS.set(len(self._subscriptions))
