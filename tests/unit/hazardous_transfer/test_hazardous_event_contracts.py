"""The hazardous-transfer events are frozen, versioned and carried by the events topic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hazardous_builders import approval, waste
from pydantic import ValidationError

from zw_shared.contracts import unwrap, wrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.hazardous import (
    APPLICATION_EVENTS,
    MANIFEST_EVENTS,
    ManifestDrafted,
)
from zw_shared.topics import HAZARDOUS_EVENTS


def test_every_transfer_event_is_carried_by_the_hazardous_events_topic() -> None:
    types = {model.event_type for model in (*APPLICATION_EVENTS, *MANIFEST_EVENTS)}
    assert types == set(HAZARDOUS_EVENTS.event_types)


def test_every_transfer_event_type_is_named_in_the_past_tense_and_versioned() -> None:
    for model in (*APPLICATION_EVENTS, *MANIFEST_EVENTS):
        assert model.version >= 1
        last_word = model.event_type.rsplit(".", 1)[-1]
        assert last_word.endswith(("ed", "-up", "-over", "overdue", "-raised")), last_word


def test_an_approval_survives_the_wire() -> None:
    event = approval()
    envelope = wrap(event, event_id="e-1", source="hazardous-transfer/32",
                    time=datetime.now(UTC), subject=event.application_id)  # fmt: skip
    assert unwrap(CloudEvent.from_bytes(envelope.to_bytes())) == event


def test_events_are_frozen_and_refuse_unknown_fields() -> None:
    event = approval()
    with pytest.raises(ValidationError):
        event.white_listed = True  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        ManifestDrafted.model_validate({**_drafted_fields(), "surprise": 1})


def test_a_manifest_number_is_fourteen_digits() -> None:
    with pytest.raises(ValidationError, match="manifest_no"):
        ManifestDrafted.model_validate({**_drafted_fields(), "manifest_no": "2026320500001"})


def _drafted_fields() -> dict[str, object]:
    a = approval()
    return {
        "command_id": "c-1",
        "occurred_at": datetime.now(UTC),
        "actor": a.shipper_id,
        "origin_province": "32",
        "destination_province": "31",
        "manifest_no": "20263205000001",
        "shipper_id": a.shipper_id,
        "receiver_id": a.receiver_id,
        "carriers": ("c1",),
        "origin_prefecture": "05",
        "approval_id": a.approval_id,
        "waste": waste().model_dump(),
        "method": "R4",
        "receiver_licence": a.receiver_licence.model_dump(),
    }
