"""The service layer of a province node: runs a command against the records the node owns
and returns the events it recorded; or raises a :class:`DomainError`, having saved nothing.

The caller (the worker's command agent) publishes the events, then answers the command.
A command id already handled yields no new events: redelivery is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hazardous_transfer.domain import application as app_state
from hazardous_transfer.domain import application_commands as ac
from hazardous_transfer.domain.acts import Act
from hazardous_transfer.domain.application import Application
from hazardous_transfer.domain.approval_ledger import ApprovalLedger
from hazardous_transfer.domain.errors import Conflict, InvalidCommand, NotFound
from hazardous_transfer.domain.policy import TransferPolicy
from hazardous_transfer.schemas import (
    AnswerBody,
    ApplyBody,
    CorrectionsBody,
    RefuseBody,
)
from hazardous_transfer.service.handler_support import act_of, body
from hazardous_transfer.service.manifests import ManifestHandler
from hazardous_transfer.service.records import Records
from zw_shared.contracts.hazardous import (
    ApplicationEvent,
    ManifestEvent,
    TransferApproved,
)
from zw_shared.contracts.hazardous_commands import CommandName, TransferCommandIssued

TransferEvent = ApplicationEvent | ManifestEvent


@dataclass(frozen=True)
class Outcome:
    record_id: str
    events: Sequence[TransferEvent]


APPLICATION_STEPS = frozenset(
    {
        CommandName.ACCEPT,
        CommandName.CONSULT,
        CommandName.APPROVE,
        CommandName.REQUEST_CORRECTIONS,
        CommandName.RESUBMIT,
        CommandName.ANSWER,
        CommandName.REFUSE,
    }
)


class CommandHandler:
    def __init__(self, policy: TransferPolicy, records: Records) -> None:
        self.policy = policy
        self.records = records
        self.manifests = ManifestHandler(policy, records)

    def handle(self, cmd: TransferCommandIssued) -> Outcome:
        act = act_of(cmd)
        if cmd.name is CommandName.APPLY:
            return self._apply(cmd, act)
        if cmd.name in APPLICATION_STEPS:
            return self._application_step(cmd, act)
        record_id, events = self.manifests.handle(cmd, act)
        return Outcome(record_id, events)

    def _apply(self, cmd: TransferCommandIssued, act: Act) -> Outcome:
        existing = self.records.application(cmd.target)
        if existing is not None:
            if cmd.command_id in existing.commands:
                return Outcome(cmd.target, [])
            raise Conflict(f"application {cmd.target} exists already")
        details = body(ApplyBody, cmd).details
        event = ac.apply(cmd.target, details, act, self.policy)
        white = self.policy.white_list.covers(
            details.receiver_id, details.waste_code, details.quantity_kg
        )
        self.records.save_application(app_state.start(event, white))
        return Outcome(cmd.target, [event])

    def _application_step(self, cmd: TransferCommandIssued, act: Act) -> Outcome:
        state = self.records.application(cmd.target)
        if state is None:
            raise NotFound(f"no application {cmd.target} at this node")
        events = self._step(state, act, cmd)
        self.save_application_events(state, events)
        return Outcome(cmd.target, events)

    def _step(
        self, state: Application, act: Act, cmd: TransferCommandIssued
    ) -> list[ApplicationEvent]:
        p = self.policy
        match cmd.name:
            case CommandName.ACCEPT:
                return ac.accept(state, act)
            case CommandName.CONSULT:
                return ac.consult(state, act)
            case CommandName.APPROVE:
                return ac.approve(state, act, p, self._white_listed_kg(state, act))
            case CommandName.REQUEST_CORRECTIONS:
                return ac.request_corrections(state, act, body(CorrectionsBody, cmd).items, p)
            case CommandName.RESUBMIT:
                return ac.resubmit(state, act, body(ApplyBody, cmd).details, p)
            case CommandName.ANSWER:
                answer = body(AnswerBody, cmd)
                return ac.answer(state, act, answer.agreed, answer.reasons)
            case CommandName.REFUSE:
                return ac.refuse(state, act, body(RefuseBody, cmd).reasons)
            case _:
                raise InvalidCommand(f"{cmd.name} is not an application command")

    def _white_listed_kg(self, state: Application, act: Act) -> float:
        year = ac.local_date(act).year
        d = state.details
        return sum(
            float(a["quantity_ceiling_kg"])
            for raw in self.records.application_documents()
            if (a := raw.get("approval"))
            and a["white_listed"]
            and (a["receiver_id"], a["waste_code"]) == (d.receiver_id, d.waste_code)
            and a["valid_from"].startswith(str(year))
        )

    def save_application_events(
        self, state: Application, events: Sequence[ApplicationEvent]
    ) -> Application:
        for event in events:
            state = app_state.evolve(state, event)
            if isinstance(event, TransferApproved):
                self.records.save_ledger(ApprovalLedger(approval=event))
        if events:
            self.records.save_application(state)
        return state
