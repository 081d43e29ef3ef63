"""Reading a command: its body (a refused body is an :class:`InvalidCommand` naming the
field) and who acts, when."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from hazardous_transfer.domain.acts import Act, Role
from hazardous_transfer.domain.errors import InvalidCommand
from zw_shared.contracts.hazardous_commands import TransferCommandIssued

B = TypeVar("B", bound=BaseModel)


def body(model: type[B], cmd: TransferCommandIssued) -> B:
    try:
        return model.model_validate(cmd.payload)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidCommand(f"{cmd.name.value} body: {fields}") from None


def act_of(cmd: TransferCommandIssued) -> Act:
    return Act(
        command_id=cmd.command_id,
        actor_id=cmd.actor_id,
        role=Role(cmd.role),
        at=cmd.issued_at,
        province=cmd.actor_province,
    )
