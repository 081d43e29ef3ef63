"""Reading the records of the hazardous-transfer events topic and of the scoring-internal
manifest-facts topic: bytes in, a validated payload out, or an :class:`UnreadableRecord`
naming why not (the worker sends those to the dead-letter topic)."""

from __future__ import annotations

from scoring.adapters.records import (
    Unreadable,
    UnreadableRecord,
    check_key,
    envelope_of,
    payload_of,
)
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.hazardous import APPLICATION_EVENTS, MANIFEST_EVENTS, ManifestEvent
from zw_shared.contracts.scoring import CellManifestFactsChanged


def read_transfer_event(
    key: bytes | None, value: bytes | None
) -> tuple[CloudEvent, ManifestEvent | None]:
    """The envelope and the manifest event of one record; ``None`` for an application
    event (approvals are not counted in scores)."""
    envelope = envelope_of(value)
    payload = payload_of(envelope)
    if isinstance(payload, APPLICATION_EVENTS):
        return envelope, None
    if not isinstance(payload, MANIFEST_EVENTS):
        raise UnreadableRecord(
            Unreadable.UNEXPECTED_EVENT_TYPE,
            f"{envelope.type!r} is not read from the hazardous transfer-events topic",
        )
    check_key(key, payload.manifest_no, "manifest_no")
    return envelope, payload


def read_manifest_facts(
    key: bytes | None, value: bytes | None
) -> tuple[CloudEvent, CellManifestFactsChanged]:
    envelope = envelope_of(value)
    payload = payload_of(envelope)
    if not isinstance(payload, CellManifestFactsChanged):
        raise UnreadableRecord(
            Unreadable.UNEXPECTED_EVENT_TYPE,
            f"{envelope.type!r} is not read from the manifest-facts topic",
        )
    check_key(key, payload.cell_id, "cell_id")
    return envelope, payload
