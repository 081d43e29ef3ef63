"""The worker's batches: a batch of records applied in memory, each touched key written once,
with the same result as applying the records one at a time."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import faust
import pytest

from scoring.adapters.offsets_store import offsets_table
from scoring.adapters.records import Unreadable, UnreadableRecord, read_flow_event
from scoring.adapters.table_store import Partition, TableStore
from scoring.batches import apply_batch
from scoring.domain.periods import Period
from scoring.handlers import Applied, FlowLedger, Refused, Stores
from zw_shared.contracts import wrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded, WasteFlowVoided

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV_20 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
Record = tuple[bytes, bytes]


class CountingDict(dict[str, Any]):
    """A store that counts the writes of each key."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: Counter[str] = Counter()

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes[key] += 1
        super().__setitem__(key, value)


def stores() -> Stores:
    return Stores(totals=CountingDict(), months=CountingDict(), ledger=CountingDict(),
                  index=CountingDict())  # fmt: skip


def a_ledger(s: Stores) -> FlowLedger:
    return FlowLedger(s, SHANGHAI, timedelta(hours=72))


def a_flow(event_id: str, cell_id: str = "cell-1", kg: float = 10.0, **more: Any) -> Record:
    flow = WasteFlowRecorded(
        event_id=event_id, facility_id="fac-1", cell_id=cell_id, stage="generated",
        category="household_wet", quantity_kg=kg, reported_quantity=kg, reported_unit="kg",
        occurred_at=more.pop("occurred_at", NOV_20),
    )  # fmt: skip
    return cell_id.encode(), _bytes(wrap(flow, event_id=flow.dedup_key, source="/f",
                                         time=NOV_20, subject=cell_id))  # fmt: skip


def a_correction(event_id: str, corrects: str, kg: float, occurred_at: datetime) -> Record:
    fix = WasteFlowCorrected(
        event_id=event_id, corrects_event_id=corrects, reason="misread", facility_id="fac-1",
        cell_id="cell-1", stage="generated", category="household_wet", quantity_kg=kg,
        reported_quantity=kg, reported_unit="kg", occurred_at=occurred_at,
    )  # fmt: skip
    return b"cell-1", _bytes(wrap(fix, event_id=fix.dedup_key, source="/f", time=NOV_20,
                                  subject="cell-1"))  # fmt: skip


def a_void(event_id: str, voids: str) -> Record:
    void = WasteFlowVoided(event_id=event_id, voids_event_id=voids, reason="twice",
                           facility_id="fac-1", cell_id="cell-1")  # fmt: skip
    return b"cell-1", _bytes(wrap(void, event_id=void.dedup_key, source="/f", time=NOV_20,
                                  subject="cell-1"))  # fmt: skip


def _bytes(event: CloudEvent) -> bytes:
    return event.to_bytes()


def applier(ledger: FlowLedger) -> Any:
    def apply(record: Record) -> tuple[CloudEvent, Applied]:  # as the worker does
        envelope, payload = read_flow_event(*record)
        try:
            if isinstance(payload, WasteFlowRecorded):
                return envelope, ledger.record(payload, envelope.time)
            if isinstance(payload, WasteFlowCorrected):
                return envelope, ledger.correct(payload, envelope.time)
            return envelope, ledger.void(payload)
        except Refused as exc:
            raise UnreadableRecord(Unreadable.REFUSED, str(exc)) from exc

    return apply


def mixed_records() -> list[Record]:
    return [
        a_flow("e1"), a_flow("e2", kg=5), a_flow("e1"),  # e1 again: a duplicate
        a_flow("e3", cell_id="cell-2", kg=7),
        a_correction("e2-fix", "e2", 6, datetime(2026, 10, 20, 8, tzinfo=UTC)),  # to October
        a_flow("e4", occurred_at=datetime(2026, 12, 2, 8, tzinfo=UTC)),
        a_void("e4-void", "e4"),
    ]  # fmt: skip


def test_a_batch_ends_with_the_stores_that_applying_one_record_at_a_time_gives() -> None:
    one_by_one, batched = stores(), stores()
    ledger = a_ledger(one_by_one)
    for record in mixed_records():
        applier(ledger)(record)
    ledger = a_ledger(batched)

    batch = apply_batch(ledger, mixed_records(), applier(ledger))

    assert batch.outcomes == {"counted": 4, "duplicate": 1, "corrected": 1, "voided": 1}
    for name in ("totals", "months", "ledger", "index"):
        assert dict(getattr(batched, name)) == dict(getattr(one_by_one, name)), name


def test_a_batch_writes_each_touched_key_once() -> None:
    s = stores()
    ledger = a_ledger(s)

    apply_batch(ledger, mixed_records(), applier(ledger))

    assert s.totals.writes == {"cell-1": 1, "cell-2": 1}  # type: ignore[attr-defined]
    assert s.months.writes == {  # type: ignore[attr-defined]
        "cell-1|2026-11": 1, "cell-1|2026-10": 1, "cell-1|2026-12": 1, "cell-2|2026-11": 1
    }  # fmt: skip
    assert set(s.ledger.writes.values()) == {1}  # type: ignore[attr-defined]


def test_a_batch_gathers_each_cell_and_month_once_with_the_last_event_that_touched_it() -> None:
    ledger = a_ledger(stores())

    batch = apply_batch(ledger, mixed_records(), applier(ledger))

    assert {cell: touch.event_id for cell, (_, touch) in batch.totals.items()} == {
        "cell-1": "fac-1/e4-void", "cell-2": "fac-1/e3"}  # fmt: skip
    assert batch.totals["cell-1"][0].event_count == 2  # e1, and e2 as corrected
    assert {key: touch.event_id for key, (_, touch) in batch.months.items()} == {
        "cell-1|2026-11": "fac-1/e2-fix", "cell-2|2026-11": "fac-1/e3",
        "cell-1|2026-10": "fac-1/e2-fix", "cell-1|2026-12": "fac-1/e4-void"}  # fmt: skip


def test_the_periods_to_rescore_are_those_of_the_changed_months_as_of_their_last_event() -> None:
    ledger = a_ledger(stores())

    batch = apply_batch(ledger, mixed_records(), applier(ledger))

    periods = {(cell, p.key): t.event_id for (cell, p), t in batch.periods().items()}
    assert periods == {
        ("cell-1", "2026-10"): "fac-1/e2-fix", ("cell-1", "2026-11"): "fac-1/e2-fix",
        ("cell-1", "2026-12"): "fac-1/e4-void", ("cell-1", "2026-Q4"): "fac-1/e4-void",
        ("cell-1", "2026"): "fac-1/e4-void", ("cell-2", "2026-11"): "fac-1/e3",
        ("cell-2", "2026-Q4"): "fac-1/e3", ("cell-2", "2026"): "fac-1/e3",
    }  # fmt: skip


def test_an_unreadable_or_refused_record_is_set_aside_and_the_batch_goes_on() -> None:
    s = stores()
    ledger = a_ledger(s)
    records = [a_flow("e1"), (b"cell-1", b"not json"), a_void("v", "unknown"), a_flow("e2")]

    batch = apply_batch(ledger, records, applier(ledger))

    assert [(r, reason) for r, reason, _ in batch.dead] == [
        (records[1], Unreadable.INVALID_ENVELOPE), (records[2], Unreadable.REFUSED)]  # fmt: skip
    assert s.totals["cell-1"]["event_count"] == 2


def test_a_month_read_during_a_batch_is_decoded_once_and_the_batch_sees_its_own_writes() -> None:
    s = stores()
    ledger = a_ledger(s)
    apply_batch(ledger, [a_flow("e1")], applier(ledger))
    ledger.begin()
    first = ledger.month_of("cell-1", Period.parse("2026-11"))
    applier(ledger)(a_flow("e2", kg=5))
    after = ledger.month_of("cell-1", Period.parse("2026-11"))
    changes = ledger.flush()

    assert first is not None
    assert after is not None
    assert (first.mass_of(None, ["generated"]).kg, after.mass_of(None, ["generated"]).kg) == (
        10,
        15,
    )
    assert list(changes.read_months) == ["cell-1|2026-11"]


class FakeChangelog:
    def get_topic_name(self) -> str:
        return "app-cell-totals-changelog"

    def prepare_key(self, key: str, serializer: str) -> tuple[bytes, None]:
        return f"{serializer}:{key}".encode(), None

    def prepare_value(self, value: Any, serializer: str) -> tuple[bytes, None]:
        return f"{serializer}:{value}".encode(), None


class FakeStore(dict[str, Any]):
    """The part of the table's store that TableStore uses: it notes each key's partition."""

    def __init__(self) -> None:
        super().__init__()
        self.partitions: dict[str, int] = {}

    def put(self, key: str, value: Any, partition: int) -> None:
        self[key] = value
        self.partitions[key] = partition

    def remove(self, key: str) -> None:
        self.pop(key, None)
        self.partitions.pop(key, None)


class FakeTable:
    """The part of a faust table that TableStore uses."""

    key_serializer, value_serializer = "raw", "json"
    changelog_topic = FakeChangelog()

    def __init__(self) -> None:
        self.data = FakeStore()
        self.through_faust: list[tuple[str, Any]] = []

    def __setitem__(self, key: str, value: Any) -> None:  # faust: current event's partition
        self.through_faust.append((key, value))
        self.data[key] = value


def test_a_write_for_a_named_partition_queues_its_changelog_record_serialised_as_faust_does() -> (
    None
):
    table, partition = FakeTable(), Partition()
    store = TableStore(table, partition)
    partition.current = 3
    store["a"] = 1
    del store["a"]
    store["b"] = 2

    assert partition.take_pending() == [
        ("app-cell-totals-changelog", 3, b"raw:a", b"json:1"),
        ("app-cell-totals-changelog", 3, b"raw:a", None),
        ("app-cell-totals-changelog", 3, b"raw:b", b"json:2"),
    ]
    assert (partition.pending, table.through_faust, store["b"], "a" in store) == ([], [], 2, False)
    assert table.data.partitions == {"b": 3}  # the store knows where each key's record went


def test_deleting_a_key_that_is_not_there_raises_and_queues_nothing() -> None:
    table, partition = FakeTable(), Partition()
    store = TableStore(table, partition)
    partition.current = 1

    with pytest.raises(KeyError):
        del store["nowhere"]
    assert partition.pending == []


def test_with_no_partition_named_a_write_goes_through_faust() -> None:
    table, partition = FakeTable(), Partition()
    store = TableStore(table, partition)
    store["b"] = 2

    assert (table.through_faust, partition.pending) == ([("b", 2)], [])
    assert (store.get("b"), len(store), list(store)) == (2, 1, ["b"])


def test_a_real_faust_json_table_gets_the_changelog_bytes_faust_would_write() -> None:
    app = faust.App("zw-table-bytes", broker="kafka://localhost:1", store="memory://")
    table: Any = offsets_table(app, "months")  # the worker's tables are these
    topic = table.changelog_topic
    state = {
        "cell_id": "cell-甲",
        "period": "2026-11",
        "mass": [{"category": "food", "stage": "generated", "kg": 12.000000001, "events": 3}],
        "facts": {"flow_events": 3.0, "reports_on_time": 2.0},
        "report_days": {"2026-11-02": 1},
        "last_event_at": None,
    }
    partition = Partition()
    store = TableStore(table, partition)
    partition.current = 2
    store["cell-甲|2026-11"] = state

    (name, at, raw_key, raw_value), *_ = partition.take_pending()
    assert (name, at) == (topic.get_topic_name(), 2)
    assert raw_key == topic.prepare_key("cell-甲|2026-11", table.key_serializer)[0]
    assert raw_value == topic.prepare_value(state, table.value_serializer)[0]
    assert raw_value is not None
    assert json.loads(raw_value) == state
