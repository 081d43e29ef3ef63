"""Manifest commands at the owner node: numbering, the approval's ledger, the signatures."""

from __future__ import annotations

from collections.abc import Sequence

from hazardous_transfer.domain import manifest as m_state
from hazardous_transfer.domain import manifest_commands as mc
from hazardous_transfer.domain import manifest_receipt as mr
from hazardous_transfer.domain.acts import Act
from hazardous_transfer.domain.approval_ledger import ApprovalLedger, record
from hazardous_transfer.domain.discrepancy import Observation
from hazardous_transfer.domain.errors import InvalidCommand, NotFound
from hazardous_transfer.domain.manifest import Manifest
from hazardous_transfer.domain.manifest_numbers import counter_key, next_number
from hazardous_transfer.domain.policy import TransferPolicy
from hazardous_transfer.schemas import (
    CorrectionBody,
    DraftBody,
    ReceiptBody,
    ReceiptCorrectionBody,
    TransportBody,
)
from hazardous_transfer.service import handler_support as hs
from hazardous_transfer.service.records import Records
from zw_shared.contracts.hazardous import (
    ManifestDrafted,
    ManifestEvent,
)
from zw_shared.contracts.hazardous_commands import CommandName, TransferCommandIssued


class ManifestHandler:
    def __init__(self, policy: TransferPolicy, records: Records) -> None:
        self.policy = policy
        self.records = records

    def handle(self, cmd: TransferCommandIssued, act: Act) -> tuple[str, list[ManifestEvent]]:
        if cmd.name is CommandName.DRAFT_MANIFEST:
            return self._draft(cmd, act)
        state = self.records.manifest(cmd.target)
        if state is None:
            raise NotFound(f"no manifest {cmd.target} at this node")
        ledger = self.records.ledger(state.approval_id) if state.approval_id else None
        events = self._step(cmd, act, state, ledger)
        self.save_events(state, ledger, events)
        return state.manifest_no, events

    def _step(
        self, cmd: TransferCommandIssued, act: Act, state: Manifest, ledger: ApprovalLedger | None
    ) -> list[ManifestEvent]:
        match cmd.name:
            case CommandName.PICK_UP:
                return mc.pick_up(state, act, _transport(cmd), ledger)
            case CommandName.HAND_OVER:
                return mc.hand_over(state, act, _transport(cmd))
            case CommandName.DELIVER:
                return mc.deliver(state, act)
            case CommandName.RECEIVE:
                receipt = _receipt(hs.body(ReceiptBody, cmd))
                return mr.receive(state, act, receipt, ledger, self.policy)
            case CommandName.PROCESS:
                return mc.process(state, act)
            case CommandName.CORRECT_RECEIPT:
                fix = hs.body(ReceiptCorrectionBody, cmd)
                return mr.correct_receipt(state, act, _receipt(fix), fix.reason, ledger,
                                          self.policy)  # fmt: skip
            case CommandName.CORRECT_MANIFEST:
                b = hs.body(CorrectionBody, cmd)
                return mr.correct(state, act, b.waste, b.reason, ledger, self.policy)
            case _:
                raise InvalidCommand(f"{cmd.name} is not a manifest command")

    def _draft(self, cmd: TransferCommandIssued, act: Act) -> tuple[str, list[ManifestEvent]]:
        done = self.records.drafted_by(cmd.command_id)
        if done is not None:
            return done, []
        b = hs.body(DraftBody, cmd)
        on = b.paper_issued_on or mc.act_date(act)
        key = counter_key(on.year, b.origin_province, b.origin_prefecture)
        number = next_number(self.records.last_serial(key), on.year, b.origin_province,
                             b.origin_prefecture)  # fmt: skip
        ledger = self.records.ledger(b.approval_id) if b.approval_id else None
        events = mc.draft(mc.DraftManifest(**dict(b)), act, number, ledger, self.policy)
        # Only a draft that passed every rule takes its serial: the numbers stay gap-free.
        self.records.save_serial(key, number.serial)
        self.records.remember_draft(cmd.command_id, str(number))
        drafted = events[0]
        assert isinstance(drafted, ManifestDrafted)
        state = m_state.start(drafted)
        if ledger is not None:
            ledger = record(ledger, None, state)
            self.records.save_ledger(ledger)
        self.save_events(state, ledger, events[1:], always=True)
        return str(number), events

    def save_events(
        self,
        state: Manifest,
        ledger: ApprovalLedger | None,
        events: Sequence[ManifestEvent],
        always: bool = False,
    ) -> Manifest:
        """Folds the events into the manifest and saves it; the approval's ledger is saved
        only when what the manifest counts against it changed."""
        before = state
        for event in events:
            state = m_state.evolve(state, event)
        if events or always:
            self.records.save_manifest(state)
        if ledger is not None and events:
            charged = record(ledger, before, state)
            if charged is not ledger:
                self.records.save_ledger(charged)
        return state


def _transport(cmd: TransferCommandIssued) -> mc.Transport:
    return mc.Transport(**dict(hs.body(TransportBody, cmd)))


def _receipt(b: ReceiptBody) -> mr.Receipt:
    seen = Observation(
        accepted_kg=b.accepted_kg,
        refused_kg=b.refused_kg,
        code=b.observed_code,
        form=b.observed_form,
        packaging=b.observed_packaging,
    )
    return mr.Receipt(observation=seen, method=b.method)
