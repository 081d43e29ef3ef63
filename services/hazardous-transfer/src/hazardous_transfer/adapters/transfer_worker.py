"""What the worker does with each record it reads: a command for a record this node owns is
decided, its events published (the broker acknowledges them before the tables change and
before the verdict goes back), an event of another node that concerns our provinces is
copied. Nothing read is dropped silently: what cannot be read goes to the dead letters.

Work is per batch: the events of all the batch's commands are sent together and their
acknowledgements awaited once, each touched record is written to its table (and changelog)
once, and once the broker acknowledged those changelog records the verdicts go back in one
record per waiting node."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from hazardous_transfer.adapters import metrics
from hazardous_transfer.adapters.tables import Change, Tables
from hazardous_transfer.domain.errors import DomainError
from hazardous_transfer.domain.policy import TransferPolicy
from hazardous_transfer.service.deadlines import overdue
from hazardous_transfer.service.handler import CommandHandler, Outcome, TransferEvent
from hazardous_transfer.service.replica import Replica
from hazardous_transfer.service.staging import Overlay
from zw_shared.contracts import unwrap, wrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.hazardous import (
    APPLICATION_EVENTS,
    MANIFEST_EVENTS,
    ApplicationOverdue,
    DiscrepancyRaised,
    ManifestOverdue,
    event_key,
)
from zw_shared.contracts.hazardous_commands import (
    TransferCommandAnswered,
    TransferCommandIssued,
    TransferCommandsAnswered,
)
from zw_shared.contracts.registry import UnknownEventType, UnknownSchemaVersion

log = logging.getLogger(__name__)
TRANSFER_EVENTS = (*APPLICATION_EVENTS, *MANIFEST_EVENTS)
UNREADABLE = (ValueError, ValidationError, UnknownEventType, UnknownSchemaVersion)
# Names the node that wrote an event, so that it skips its own without reading them.
SOURCE_HEADER = "zw-source"

Headers = list[tuple[str, bytes]]
# Sends a record (topic, key, value, headers); the awaitable it returns resolves once the
# broker acknowledged the record.
Send = Callable[[str, bytes, bytes, Headers | None], Awaitable[Awaitable[Any]]]


class TransferWorker:
    def __init__(
        self,
        tables: Tables,
        topics: Mapping[str, str],
        send: Send,
        policy: TransferPolicy,
        served: frozenset[str],
        node_id: str,
    ) -> None:
        """``topics``: the full names of the ``events``, ``results`` and ``dead_letters``
        topics."""
        self.tables = tables
        self.topics = topics
        self.send = send
        self.policy = policy
        self.served = served
        self.source = f"hazardous-transfer/{node_id}"
        self.source_header = [(SOURCE_HEADER, self.source.encode())]
        # One decision at a time: the command agent and the deadline timer share records.
        self.lock = asyncio.Lock()
        # The answers of the last batch decided (they wait for its table changes).
        self._answering: asyncio.Task[None] | None = None

    async def on_commands(self, batch: list[tuple[bytes, str]]) -> None:
        """Decides a batch of commands in order, each seeing the ones before, publishes all
        their events, waits for every acknowledgement once, then commits the records; the
        answers go out once their changelog records are acknowledged: the broker's round
        trips are paid once per batch, not per command."""
        commands = [cmd for raw, where in batch if (cmd := await self._read(raw, where))]
        owned = [cmd for cmd in commands if cmd.owner_province in self.served]
        if not owned:
            return
        began = time.perf_counter()
        await self.tables.warm_up()
        async with self.lock:
            decisions = await self._decide_and_publish(owned)
            changes = self.tables.take_unacked()
        # Answered only once the changes are on the broker (and those of every batch
        # before): an answered command survives a restart. Meanwhile the next batch is
        # decided: the wait for the changelog overlaps it.
        self._answering = asyncio.create_task(
            self._answer_when_durable(self._answering, changes, decisions)
        )
        metrics.COMMAND_BATCH_SECONDS.observe(time.perf_counter() - began)
        metrics.COMMAND_BATCH_SIZE.observe(len(owned))

    async def answered(self) -> None:
        """Returns once every batch decided so far was answered."""
        if self._answering is not None:
            await asyncio.shield(self._answering)

    async def _answer_when_durable(
        self, before: asyncio.Task[None] | None, changes: list[Change], decisions: list[Decision]
    ) -> None:
        try:
            if before is not None:
                await asyncio.shield(before)
            await self.tables.settle(changes)
            await self._answer(decisions)
        except Exception:  # the API times out (504) and the client retries: logged, counted
            log.exception("the verdicts of %d commands could not be sent", len(decisions))
            metrics.VERDICTS_NOT_SENT.inc(len(decisions))

    async def _read(self, raw: bytes, where: str) -> TransferCommandIssued | None:
        try:
            cmd = unwrap(CloudEvent.from_bytes(raw))
        except UNREADABLE as exc:
            await self.dead_letter(raw, where, f"unreadable command: {exc}")
            return None
        if not isinstance(cmd, TransferCommandIssued):
            await self.dead_letter(raw, where, f"not a command: {cmd.event_type}")
            return None
        return cmd

    async def _decide_and_publish(self, commands: list[TransferCommandIssued]) -> list[Decision]:
        records, overlays = self.tables.staged()
        handler = CommandHandler(self.policy, records)
        decisions = [decide_one(handler, overlays, cmd) for cmd in commands]
        try:
            await self._publish([o for _, o, _ in decisions if o is not None])
        except Exception as exc:  # the broker did not take the events: nothing is recorded
            log.exception("publishing the events of %d commands failed", len(commands))
            for overlay in overlays:
                overlay.rollback()
            unavailable = Unavailable(f"the events could not be published: {exc!r}")
            return [(cmd, None, unavailable) for cmd in commands]
        for overlay in overlays:
            overlay.commit()
        return decisions

    async def _publish(self, outcomes: list[Outcome]) -> None:
        topic = self.topics["events"]
        sent = [
            await self.send(
                topic, o.record_id.encode(), self._envelope(o.record_id, e), self.source_header
            )
            for o in outcomes
            for e in o.events
        ]
        for acknowledged in sent:
            await acknowledged  # by the broker (acks=all)
        for outcome in outcomes:
            for event in outcome.events:
                _count(event)

    def _envelope(self, record_id: str, event: TransferEvent) -> bytes:
        envelope = wrap(event, event_id=event_key(event), source=self.source,
                        time=event.occurred_at, subject=record_id)  # fmt: skip
        return envelope.to_bytes()

    async def _answer(self, decisions: list[Decision]) -> None:
        """One record per node whose API waits, with the verdicts of all its commands."""
        by_node: dict[str, list[TransferCommandAnswered]] = defaultdict(list)
        for cmd, outcome, error in decisions:
            by_node[cmd.reply_to].append(verdict(cmd, outcome, error))
        now = datetime.now(UTC)
        for node, verdicts in by_node.items():
            answer = TransferCommandsAnswered(reply_to=node, verdicts=tuple(verdicts))
            envelope = wrap(answer, event_id=f"{verdicts[0].command_id}/answers",
                            source=self.source, time=now, subject=node)  # fmt: skip
            await self.send(self.topics["results"], node.encode(), envelope.to_bytes(), None)

    async def on_event(self, raw: bytes, where: str, headers: Headers | None = None) -> None:
        if headers and (SOURCE_HEADER, self.source.encode()) in headers:
            return  # this node's own event: its records changed when it was recorded
        try:
            envelope = CloudEvent.from_bytes(raw)
            if envelope.source == self.source:
                return  # this node's own event: its records changed when it was recorded
            event = unwrap(envelope)
        except UNREADABLE as exc:
            await self.dead_letter(raw, where, f"unreadable event: {exc}")
            return
        if not isinstance(event, TRANSFER_EVENTS):
            await self.dead_letter(raw, where, f"not a transfer event: {event.event_type}")
            return
        replica = Replica(self.tables.records(), self.served)
        if replica.concerns(event):
            # a copy writes the tables: without its changelogs' metadata the producer fails
            # (and the agent with it) when an event of another node comes before any command
            await self.tables.warm_up()
            async with self.lock:
                if replica.apply(event):
                    metrics.REPLICATED.labels(event.event_type).inc()

    async def check_deadlines(self, now: datetime | None = None) -> int:
        """The overdue events of every time limit that has passed; a sweep whose events the
        broker does not take records nothing, and the next sweep tries again."""
        await self.tables.warm_up()
        async with self.lock:
            records, overlays = self.tables.staged()
            handler = CommandHandler(self.policy, records)
            try:
                outcomes = overdue(handler, self.served, now or datetime.now(UTC))
                await self._publish(outcomes)
            except Exception:
                log.exception("deadline sweep failed; retrying at the next interval")
                metrics.DEADLINE_SWEEP_FAILURES.inc()
                return 0
            for overlay in overlays:
                overlay.commit()
        return sum(len(o.events) for o in outcomes)

    async def dead_letter(self, raw: bytes, where: str, reason: str) -> None:
        log.error("dead-lettering %s: %s", where, reason)
        metrics.DEAD_LETTERS.labels(reason.split(":", 1)[0]).inc()
        headers = [("reason", reason[:1000].encode())]
        await self.send(self.topics["dead_letters"], where.encode(), raw, headers)


class Unavailable(DomainError):
    code = "unavailable"
    http_status = 503


Decision = tuple[TransferCommandIssued, Outcome | None, DomainError | None]


def decide_one(
    handler: CommandHandler, overlays: list[Overlay], cmd: TransferCommandIssued
) -> Decision:
    """One command; a refused or failed command leaves the staged records as they were."""
    savepoints = [overlay.savepoint() for overlay in overlays]
    try:
        return cmd, handler.handle(cmd), None
    except DomainError as exc:
        error: DomainError = exc
    except Exception as exc:  # a bug: this command fails, the batch goes on
        log.exception("command %s failed", cmd.command_id)
        error = Unavailable(f"the command could not be decided: {exc!r}")
    for overlay, savepoint in zip(overlays, savepoints, strict=True):
        overlay.restore(savepoint)
    return cmd, None, error


def verdict(
    cmd: TransferCommandIssued, outcome: Outcome | None, error: DomainError | None
) -> TransferCommandAnswered:
    if outcome is not None:
        metrics.COMMANDS.labels(cmd.name.value, "accepted").inc()
        return TransferCommandAnswered(
            command_id=cmd.command_id, reply_to=cmd.reply_to, accepted=True,
            record_id=outcome.record_id, event_types=tuple(e.event_type for e in outcome.events),
        )  # fmt: skip
    assert error is not None
    metrics.COMMANDS.labels(cmd.name.value, error.code).inc()
    return TransferCommandAnswered(
        command_id=cmd.command_id, reply_to=cmd.reply_to, accepted=False,
        error_code=error.code, http_status=error.http_status, message=str(error),
    )  # fmt: skip


def _count(event: TransferEvent) -> None:
    metrics.TRANSITIONS.labels(event.event_type).inc()
    if isinstance(event, ApplicationOverdue | ManifestOverdue):
        metrics.OVERDUE.labels(event.step.value).inc()
    if isinstance(event, DiscrepancyRaised):
        for kind in event.kinds:
            metrics.DISCREPANCIES.labels(kind.value).inc()
