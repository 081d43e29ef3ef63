"""The worker's batch: events of all its commands sent, acknowledged, then the tables
written once and the verdicts sent in one record per waiting node; a batch the broker does
not take records nothing. And the approval's ledger keeps its size."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any, cast

import faust
from hazardous_builders import approval, details

from hazardous_transfer.adapters.tables import TABLE_NAMES, Change, Tables
from hazardous_transfer.adapters.transfer_worker import SOURCE_HEADER, Headers, TransferWorker
from hazardous_transfer.adapters.verdicts import VerdictListener
from hazardous_transfer.domain.approval_ledger import ApprovalLedger
from hazardous_transfer.domain.policy import TransferPolicy
from zw_shared.contracts import unwrap, wrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.hazardous_commands import (
    CommandName,
    TransferCommandAnswered,
    TransferCommandIssued,
    TransferCommandsAnswered,
)

TOPICS = {"events": "events", "results": "results", "dead_letters": "dead-letters"}


class Ack:
    """What the broker answers for one record: awaited, it notes that it was waited for."""

    def __init__(self, log: list[str], failure: Exception | None) -> None:
        self.log, self.failure = log, failure

    def __await__(self) -> Generator[Any, None, None]:
        self.log.append("acknowledged")
        if self.failure is not None:
            raise self.failure
        yield from asyncio.sleep(0).__await__()


class Broker:
    def __init__(self, refuse_events: bool = False) -> None:
        self.sent: list[tuple[str, bytes, bytes, Headers | None]] = []
        self.log: list[str] = []
        self.refuse_events = refuse_events

    async def send(self, topic: str, key: bytes, value: bytes, headers: Headers | None) -> Ack:
        self.sent.append((topic, key, value, headers))
        self.log.append(f"sent to {topic}")
        failure = TimeoutError("no answer") if self.refuse_events and topic == "events" else None
        return Ack(self.log, failure)

    def on(self, topic: str) -> list[bytes]:
        return [value for name, _, value, _ in self.sent if name == topic]


class LoggedTables(Tables):
    """Notes in the broker's log when the tables' changes were acknowledged."""

    broker_log: list[str]

    async def settle(self, changes: list[Change]) -> None:
        self.broker_log.append("table changes acknowledged")


def worker(broker: Broker) -> tuple[TransferWorker, Tables]:
    tables = LoggedTables({name: {} for name in TABLE_NAMES}, cast(faust.App, None), _warm=True)
    tables.broker_log = broker.log
    node = TransferWorker(tables, TOPICS, broker.send, TransferPolicy(), frozenset({"32"}), "js")
    return node, tables


def apply(target: str, reply_to: str) -> tuple[bytes, str]:
    cmd = TransferCommandIssued(
        command_id=f"c-{target}", name=CommandName.APPLY, target=target, owner_province="32",
        actor_id="shipper-js-1", role="shipper", issued_at=datetime(2026, 3, 2, 2, tzinfo=UTC),
        reply_to=reply_to, payload={"details": details().model_dump(mode="json")},
    )  # fmt: skip
    envelope = wrap(cmd, event_id=cmd.command_id, source="test", time=cmd.issued_at,
                    subject=target)  # fmt: skip
    return envelope.to_bytes(), f"commands/0/{target}"


def answers(broker: Broker) -> dict[str, list[TransferCommandAnswered]]:
    found: dict[str, list[TransferCommandAnswered]] = {}
    for raw in broker.on("results"):
        answer = unwrap(CloudEvent.from_bytes(raw))
        assert isinstance(answer, TransferCommandsAnswered)
        found[answer.reply_to] = list(answer.verdicts)
    return found


async def test_a_batch_is_answered_in_one_record_per_node_after_its_events_were_acknowledged() -> (
    None
):
    broker = Broker()
    node, tables = worker(broker)
    await node.on_commands([apply("TA-1", "js"), apply("TA-2", "sh"), apply("TA-3", "js")])
    await node.answered()
    verdicts = answers(broker)
    assert {n: [v.record_id for v in vs] for n, vs in verdicts.items()} == {
        "js": ["TA-1", "TA-3"],
        "sh": ["TA-2"],
    }
    assert all(v.accepted for vs in verdicts.values() for v in vs)
    first_answer = broker.log.index("sent to results")
    assert broker.log[:first_answer].count("acknowledged") == len(broker.on("events")) == 3
    assert {a.application_id for a in tables.records().all_applications()} == {
        "TA-1", "TA-2", "TA-3",
    }  # fmt: skip


async def test_a_batch_is_answered_only_once_its_table_changes_are_on_the_broker() -> None:
    # a worker killed after answering restores the records it reported as recorded
    broker = Broker()
    node, _ = worker(broker)
    await node.on_commands([apply("TA-1", "js"), apply("TA-2", "js")])
    await node.answered()
    assert broker.log == [
        "sent to events", "sent to events", "acknowledged", "acknowledged",
        "table changes acknowledged", "sent to results",
    ]  # fmt: skip


class SlowTables(LoggedTables):
    """The first batch's table changes are acknowledged only when ``release`` is set."""

    release: asyncio.Event
    calls = 0

    async def settle(self, changes: list[Change]) -> None:
        self.calls += 1
        if self.calls == 1:
            await self.release.wait()
        await super().settle(changes)


async def test_a_later_batch_waits_for_the_answers_of_an_earlier_one() -> None:
    broker = Broker()
    tables = SlowTables({name: {} for name in TABLE_NAMES}, cast(faust.App, None), _warm=True)
    tables.broker_log, tables.release = broker.log, asyncio.Event()
    node = TransferWorker(tables, TOPICS, broker.send, TransferPolicy(), frozenset({"32"}), "js")
    await node.on_commands([apply("TA-1", "js")])
    await node.on_commands([apply("TA-2", "sh")])  # decided while the first batch waits
    await asyncio.sleep(0.01)
    assert broker.on("results") == [], "answered before the changes were on the broker"
    tables.release.set()
    await node.answered()
    assert list(answers(broker)) == ["js", "sh"]


async def test_a_batch_whose_events_the_broker_refuses_records_nothing_and_answers_503() -> None:
    broker = Broker(refuse_events=True)
    node, tables = worker(broker)
    await node.on_commands([apply("TA-1", "js"), apply("TA-2", "js")])
    await node.answered()
    (verdicts,) = answers(broker).values()
    assert [(v.accepted, v.http_status) for v in verdicts] == [(False, 503), (False, 503)]
    assert tables.records().all_applications() == []


async def test_a_nodes_own_events_are_skipped_unread_and_an_unreadable_one_is_dead_lettered() -> (
    None
):
    broker = Broker()
    node, _ = worker(broker)
    own = [(SOURCE_HEADER, b"hazardous-transfer/js")]
    await node.on_event(b"not json", "events/0/1", own)
    assert broker.sent == []
    await node.on_event(b"not json", "events/0/2", [(SOURCE_HEADER, b"hazardous-transfer/sh")])
    assert [topic for topic, *_ in broker.sent] == ["dead-letters"]


async def test_the_api_takes_each_verdict_of_a_batched_answer() -> None:
    listener = VerdictListener("127.0.0.1:1", "results", "js")
    first, second = listener.expect("c-1"), listener.expect("c-2")
    answer = TransferCommandsAnswered(
        reply_to="js",
        verdicts=(
            TransferCommandAnswered(command_id="c-1", reply_to="js", accepted=True),
            TransferCommandAnswered(
                command_id="c-2", reply_to="js", accepted=False, error_code="not_found",
                http_status=404, message="no such application",
            ),
        ),
    )  # fmt: skip
    envelope = wrap(answer, event_id="c-1/answers", source="test",
                    time=datetime.now(UTC), subject="js")  # fmt: skip
    listener._deliver(envelope.to_bytes())
    assert (first.result().accepted, second.result().http_status) == (True, 404)


def test_an_approvals_ledger_keeps_its_size_however_many_manifests_run_under_it() -> None:
    ledger = ApprovalLedger(approval=approval())
    one = ledger.charge(None, 100)
    many = one
    for _ in range(999):
        many = many.charge(None, 1)
    assert len(many.model_dump_json()) < len(one.model_dump_json()) + 10  # a few digits more
    assert (many.manifests, many.remaining_kg) == (1000, 5000 - 100 - 999)


def test_a_ledger_stored_with_a_charge_per_manifest_is_read_as_its_total() -> None:
    stored = {
        "approval": approval().model_dump(mode="json"),
        "charged_kg": {"20263205000001": 1000.0, "20263205000002": 500.0},
    }
    ledger = ApprovalLedger.model_validate(stored)
    assert (ledger.charged_kg, ledger.manifests, ledger.remaining_kg) == (1500.0, 2, 3500.0)
