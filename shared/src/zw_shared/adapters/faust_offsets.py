"""faust's memory store, knowing up to which changelog offset its data goes.

faust's own memory store knows no offset, so after every rebalance its worker reads each
changelog partition it holds from the start again, even one it held all along: a worker
joining or leaving the group stops every other worker while they re-read their tables. With
the offsets faust's recovery reads only what the worker has not read (or written) yet.

What a worker keeps at a rebalance is the subclass's to say (:meth:`keep`), before faust's
recovery reads anything; :meth:`forget` drops the offsets of partitions whose data the
worker dropped, faust's recovery's included (it keeps a standby's own, and would go on from
there: past records the store no longer has). The broker's acknowledgement of a write
counts only for a partition the worker is active for (:meth:`set_persisted_offset`).
faust's memory store dropped every key outside the ACTIVE partitions after each recovery,
a standby's copy included: this one drops nothing there (:meth:`on_recovery_completed`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from faust.stores.memory import Store as MemoryStore
from faust.types import TP, EventT
from prometheus_client import Counter


class OffsetsMemoryStore(MemoryStore[str, Any]):
    restored_total: Counter | None = None  # counts the changelog records applied

    def __post_init__(self) -> None:
        super().__post_init__()
        self._offsets: dict[TP, int] = {}
        self._active: set[int] = set()  # the changelog partitions it holds as active

    def get(self, key: str, default: Any = None) -> Any:
        # Mapping.get reaches a missing key through __getitem__'s KeyError: the ledger looks
        # up a key that is not there for every new event
        return self.data.get(key, default)

    def persisted_offset(self, tp: TP) -> int | None:
        return self._offsets.get(tp)

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        """The broker acknowledged a changelog record the worker wrote (its value is in the
        store already). Not taken for a partition it is no longer active for: an
        acknowledgement that came after a rebalance, whose partition's copy was dropped
        (an offset would make faust's recovery skip the records before it)."""
        if tp.partition in self._active:
            self.advance(tp, offset)

    def advance(self, tp: TP, offset: int) -> None:
        """The copy of ``tp`` goes to ``offset`` at least."""
        if offset > self._offsets.get(tp, -1):
            self._offsets[tp] = offset

    def apply_changelog_batch(
        self,
        batch: Iterable[EventT[Any]],
        to_key: Callable[[Any], Any],
        to_value: Callable[[Any], Any],
    ) -> None:
        events = list(batch)
        super().apply_changelog_batch(events, to_key, to_value)
        for event in events:
            self.advance(event.message.tp, event.message.offset)
        self.on_restored(events)

    def on_restored(self, events: list[EventT[Any]]) -> None:
        """Counts the changelog records applied, on :attr:`restored_total` if set."""
        if self.restored_total is not None:
            self.restored_total.inc(len(events))

    async def on_rebalance(
        self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP], generation_id: int = 0
    ) -> None:
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        active, standby = self.changelog_partitions()
        self.keep(active, standby)
        self._active = active

    def keep(self, active: set[int], standby: set[int]) -> None:
        """Decides, before faust's recovery reads anything, what the worker keeps of its
        copy now that it holds ``active`` and ``standby`` partitions of the changelog
        (``self._active``: those it held as active until now)."""
        raise NotImplementedError

    def changelog_partitions(self) -> tuple[set[int], set[int]]:
        """The partitions of the table's changelog the worker holds now: (active, standby)."""
        topic = self.table.changelog_topic.get_topic_name()
        assignor: Any = self.app.assignor
        active = {tp.partition for tp in assignor.assigned_actives() if tp.topic == topic}
        standby = {tp.partition for tp in assignor.assigned_standbys() if tp.topic == topic}
        return active, standby

    def forget(self, partitions: Iterable[int] | None = None) -> None:
        """Forgets the offsets of ``partitions`` (None: of every partition), its own and
        faust's recovery's."""
        topic = self.table.changelog_topic.get_topic_name()
        tables: Any = self.app.tables  # its recovery service is not in TableManagerT
        recovery = tables.recovery
        known = {*self._offsets, *recovery.active_offsets, *recovery.standby_offsets}
        wanted = None if partitions is None else set(partitions)
        for tp in known:
            if tp.topic == topic and (wanted is None or tp.partition in wanted):
                self._offsets.pop(tp, None)
                recovery.active_offsets.pop(tp, None)
                recovery.standby_offsets.pop(tp, None)

    def partitions_to_drop(self, active: set[int], standby: set[int]) -> set[int]:
        """Of the partitions the store has keys or an offset of, those to drop now that the
        worker holds ``active`` and ``standby`` (see :func:`partitions_to_drop`)."""
        known = set(self._key_partition.values()) | {tp.partition for tp in self._offsets}
        return partitions_to_drop(self._active, active, standby, known)

    def drop_partitions(self, partitions: set[int]) -> None:
        """Drops the keys of ``partitions`` (as far as their partitions are known) and
        forgets their offsets: faust's recovery reads them from the start."""
        for key in [k for k, p in self._key_partition.items() if p in partitions]:
            self.data.pop(key, None)
            del self._key_partition[key]
        self.forget(partitions)

    def drop_all(self) -> None:
        """Drops every key and forgets every offset."""
        self.data.clear()
        self._key_partition.clear()
        self.forget()

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        """Nothing: :meth:`on_rebalance` dropped what the worker no longer holds."""


def partitions_to_drop(
    was_active: set[int], active: set[int], standby: set[int], known: set[int]
) -> set[int]:
    """The partitions whose copy a worker drops at a rebalance, of those it has data or an
    offset of (``known``): the ones it holds no more, and the ones it was active for and is
    not any more (it wrote them)."""
    return (was_active - active) | (known - active - standby)


def new_store(store_class: type[OffsetsMemoryStore], table: Any, url: Any) -> Any:
    """A ``store_class`` for ``table`` (a table's ``_new_store_by_url``), built with the
    table's settings as faust builds its own stores."""
    return store_class(
        url, table.app, table, table_name=table.name, key_type=table.key_type,
        key_serializer=table.key_serializer, value_serializer=table.value_serializer,
        value_type=table.value_type, loop=table.loop, options=table.options,
    )  # fmt: skip
