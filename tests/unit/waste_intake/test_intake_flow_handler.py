"""The flow use cases driven with a fake publisher: idempotency, conflicts, amendments,
and no write while the views are still catching up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from intake_unit_builders import LIMITS, NOW, a_registry, a_report

from waste_intake.domain.amendments import CorrectionReport, VoidReport
from waste_intake.domain.ledger import Ledger
from waste_intake.handlers.flows import FlowContext, FlowHandler
from waste_intake.handlers.outcomes import Accepted, Conflict, Rejected
from zw_shared.adapters.publisher import BrokerUnavailable, Published
from zw_shared.contracts.envelope import CloudEvent


@dataclass
class FakePublisher:
    sent: list[tuple[str, str, CloudEvent]] = field(default_factory=list)
    down: bool = False

    async def publish(self, topic: str, key: str, event: CloudEvent) -> Published:
        await asyncio.sleep(0)  # yields, as a real acknowledgement does
        if self.down:
            raise BrokerUnavailable("down")
        self.sent.append((topic, key, event))
        return Published(topic, 0, len(self.sent) - 1)


def _handler(publisher: FakePublisher, ready: bool = True) -> FlowHandler:
    ctx = FlowContext(
        publisher, "flows", LIMITS, lambda: NOW, a_registry(), Ledger(), lambda: ready
    )
    return FlowHandler(ctx)


async def test_a_repeat_is_a_duplicate_and_different_content_a_conflict() -> None:
    publisher = FakePublisher()
    handler = _handler(publisher)

    first = await handler.record("fac-01", a_report())
    again = await handler.record("fac-01", a_report())
    changed = await handler.record("fac-01", a_report(quantity=99))

    assert isinstance(first, Accepted)
    assert not first.duplicate
    assert isinstance(again, Accepted)
    assert again.duplicate
    assert again.location == first.location
    assert isinstance(changed, Conflict)
    assert len(publisher.sent) == 1


async def test_concurrent_repeats_publish_once() -> None:
    publisher = FakePublisher()
    handler = _handler(publisher)

    outcomes = await asyncio.gather(*(handler.record("fac-01", a_report()) for _ in range(4)))

    assert sorted(o.duplicate for o in outcomes if isinstance(o, Accepted)) == [
        False, True, True, True,
    ]  # fmt: skip
    assert len(publisher.sent) == 1


async def test_nothing_is_remembered_when_the_broker_did_not_acknowledge() -> None:
    publisher = FakePublisher(down=True)
    handler = _handler(publisher)
    with pytest.raises(BrokerUnavailable):
        await handler.record("fac-01", a_report())

    publisher.down = False
    outcome = await handler.record("fac-01", a_report())

    assert isinstance(outcome, Accepted)
    assert not outcome.duplicate


async def test_no_write_before_the_views_caught_up() -> None:
    with pytest.raises(BrokerUnavailable, match="still reading"):
        await _handler(FakePublisher(), ready=False).record("fac-01", a_report())


async def test_an_unregistered_facility_is_rejected() -> None:
    outcome = await _handler(FakePublisher()).record("ghost", a_report())

    assert isinstance(outcome, Rejected)
    assert [e.code for e in outcome.errors] == ["unknown_facility"]


async def test_a_correction_and_a_void_reference_the_original() -> None:
    publisher = FakePublisher()
    handler = _handler(publisher)
    await handler.record("fac-01", a_report(event_id="e-1"))
    correction = CorrectionReport.model_validate(
        {**a_report(event_id="e-1-c").model_dump(), "quantity": 20, "reason": "weighed"}
    )

    corrected = await handler.correct("fac-01", "e-1", correction)
    voided = await handler.void("fac-01", "e-1", VoidReport(event_id="e-1-v", reason="twice"))
    late = await handler.correct("fac-01", "e-1", correction.model_copy(update={"event_id": "c2"}))

    assert isinstance(corrected, Accepted)
    assert isinstance(voided, Accepted)
    types = [event.type for _, _, event in publisher.sent]
    assert types == ["waste.flow.recorded", "waste.flow.corrected", "waste.flow.voided"]
    assert publisher.sent[1][2].data["corrects_event_id"] == "e-1"
    assert isinstance(late, Rejected)
    assert late.conflicting


async def test_amending_an_unknown_event_is_not_found() -> None:
    void = VoidReport(event_id="v", reason="r")

    outcome = await _handler(FakePublisher()).void("fac-01", "nope", void)

    assert isinstance(outcome, Rejected)
    assert outcome.not_found
