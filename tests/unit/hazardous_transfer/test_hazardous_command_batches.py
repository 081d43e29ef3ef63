"""The worker decides a batch of commands in order; a command that fails leaves the staged
records as they were before it, and the others of the batch go on."""

from __future__ import annotations

from datetime import UTC, datetime

from hazardous_builders import details

from hazardous_transfer.adapters.transfer_worker import decide_one
from hazardous_transfer.domain.policy import TransferPolicy
from hazardous_transfer.service.handler import CommandHandler, Outcome
from hazardous_transfer.service.records import Records
from hazardous_transfer.service.staging import Overlay
from zw_shared.contracts.hazardous_commands import CommandName, TransferCommandIssued


def command(target: str, **overrides: object) -> TransferCommandIssued:
    fields: dict[str, object] = {
        "command_id": f"c-{target}", "name": CommandName.APPLY, "target": target,
        "owner_province": "32", "actor_id": "shipper-js-1", "role": "shipper",
        "issued_at": datetime(2026, 3, 2, 2, tzinfo=UTC), "reply_to": "test",
        "payload": {"details": details().model_dump(mode="json")},
    }  # fmt: skip
    return TransferCommandIssued.model_validate(fields | overrides)


class Crashing(CommandHandler):
    """Stages a write, then fails as a bug would."""

    def handle(self, cmd: TransferCommandIssued) -> Outcome:
        if cmd.target == "TA-BUG":
            super().handle(cmd)
            raise RuntimeError("bug")
        return super().handle(cmd)


def staged() -> tuple[Records, list[Overlay]]:
    overlays = [Overlay({}) for _ in range(4)]
    return Records(*overlays), overlays


def test_a_failing_command_leaves_no_staged_write_and_the_batch_goes_on() -> None:
    records, overlays = staged()
    handler = Crashing(TransferPolicy(), records)
    decisions = [decide_one(handler, overlays, command(t)) for t in ("TA-1", "TA-BUG", "TA-2")]
    assert [error.code if error else "ok" for _, _, error in decisions] == [
        "ok", "unavailable", "ok",
    ]  # fmt: skip
    assert records.application("TA-BUG") is None
    assert {a.application_id for a in records.all_applications()} == {"TA-1", "TA-2"}


def test_a_refused_command_is_answered_with_its_reason() -> None:
    records, overlays = staged()
    handler = CommandHandler(TransferPolicy(), records)
    _, outcome, error = decide_one(handler, overlays, command("TA-1", actor_id="someone-else"))
    assert outcome is None
    assert error is not None
    assert (error.code, error.http_status) == ("wrong_party", 403)
    assert records.all_applications() == []
