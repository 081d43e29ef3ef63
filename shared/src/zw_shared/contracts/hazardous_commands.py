"""Commands of hazardous-transfer between its province nodes: a node's API sends a command
to the node that owns the record (``hazardous.commands``); the owner answers with its verdict
(``hazardous.command-results``). See :mod:`zw_shared.contracts.hazardous` for the events."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from zw_shared.contracts.hazardous import PROVINCE
from zw_shared.contracts.registry import EventPayload, register


class CommandName(StrEnum):
    APPLY = "apply"
    REQUEST_CORRECTIONS = "request_corrections"
    RESUBMIT = "resubmit"
    ACCEPT = "accept"
    CONSULT = "consult"
    ANSWER = "answer"
    APPROVE = "approve"
    REFUSE = "refuse"
    DRAFT_MANIFEST = "draft_manifest"
    PICK_UP = "pick_up"
    HAND_OVER = "hand_over"
    DELIVER = "deliver"
    RECEIVE = "receive"
    PROCESS = "process"
    CORRECT_MANIFEST = "correct_manifest"
    CORRECT_RECEIPT = "correct_receipt"


class TransferCommandIssued(EventPayload):
    """A command for the province node that owns the record (the origin's), sent over
    ``hazardous.commands`` by the node whose user acted; ``payload`` is the command's body."""

    event_type: ClassVar[str] = "hazardous.command.issued"
    version: ClassVar[int] = 1

    command_id: str = Field(min_length=1, max_length=128)
    name: CommandName
    target: str = Field(min_length=1, description="application id or manifest number")
    owner_province: str = Field(pattern=PROVINCE)
    actor_id: str = Field(min_length=1)
    role: str = Field(pattern=r"^(shipper|carrier|receiver|official)$")
    actor_province: str | None = Field(default=None, pattern=PROVINCE)
    issued_at: AwareDatetime
    reply_to: str = Field(min_length=1, description="node id whose API waits for the verdict")
    payload: dict[str, object] = Field(default_factory=dict)


class TransferCommandAnswered(EventPayload):
    """The owner's verdict on a command: the events it recorded, or why it was refused."""

    event_type: ClassVar[str] = "hazardous.command.answered"
    version: ClassVar[int] = 1

    command_id: str
    reply_to: str
    accepted: bool
    record_id: str | None = None
    event_types: tuple[str, ...] = ()
    error_code: str | None = None
    http_status: int | None = Field(default=None, ge=400, le=599)
    message: str | None = None


register(TransferCommandIssued)
register(TransferCommandAnswered)


class TransferCommandsAnswered(EventPayload):
    """The owner's verdicts on one batch's commands for one node's API, in one record.

    A busy owner answers a batch of commands with one write, not one per command."""

    event_type: ClassVar[str] = "hazardous.commands.answered"
    version: ClassVar[int] = 1

    reply_to: str
    verdicts: tuple[TransferCommandAnswered, ...] = Field(min_length=1)


register(TransferCommandsAnswered)
