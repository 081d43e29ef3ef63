"""Reading the records of the hazardous-transfer events topic and of the scoring-internal
manifest-facts topic: bytes in, a validated payload out, or an :class:`UnreadableRecord`
naming why not (the worker sends those to the dead-letter topic)."""

from __future__ import annotations

from pydantic import ValidationError

from scoring.adapters.records import Unreadable, UnreadableRecord
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.hazardous import APPLICATION_EVENTS, MANIFEST_EVENTS, ManifestEvent
from zw_shared.contracts.registry import UnknownEventType, UnknownSchemaVersion, unwrap
from zw_shared.contracts.scoring import CellManifestFactsChanged


def read_transfer_event(
    key: bytes | None, value: bytes | None
) -> tuple[CloudEvent, ManifestEvent | None]:
    """The envelope and the manifest event of one record; ``None`` for an application
    event (approvals are not counted in scores)."""
    envelope = _envelope(value)
    payload = _payload(envelope)
    if isinstance(payload, APPLICATION_EVENTS):
        return envelope, None
    if not isinstance(payload, MANIFEST_EVENTS):
        raise UnreadableRecord(
            Unreadable.UNEXPECTED_EVENT_TYPE,
            f"{envelope.type!r} is not read from the hazardous transfer-events topic",
        )
    _check_key(key, payload.manifest_no, "manifest_no")
    return envelope, payload


def read_manifest_facts(
    key: bytes | None, value: bytes | None
) -> tuple[CloudEvent, CellManifestFactsChanged]:
    envelope = _envelope(value)
    payload = _payload(envelope)
    if not isinstance(payload, CellManifestFactsChanged):
        raise UnreadableRecord(
            Unreadable.UNEXPECTED_EVENT_TYPE,
            f"{envelope.type!r} is not read from the manifest-facts topic",
        )
    _check_key(key, payload.cell_id, "cell_id")
    return envelope, payload


def _check_key(key: bytes | None, expected: str, field: str) -> None:
    if key is None or key.decode(errors="replace") != expected:
        # The worker's tables are partitioned by this key.
        raise UnreadableRecord(
            Unreadable.KEY_MISMATCH, f"record key {key!r} is not the event's {field} {expected!r}"
        )


def _envelope(value: bytes | None) -> CloudEvent:
    if value is None:
        raise UnreadableRecord(Unreadable.NO_VALUE, "record has no value")
    try:
        return CloudEvent.from_bytes(value)
    except ValidationError as exc:
        raise UnreadableRecord(Unreadable.INVALID_ENVELOPE, _errors(exc)) from exc


def _payload(envelope: CloudEvent) -> object:
    try:
        return unwrap(envelope)
    except UnknownEventType as exc:
        raise UnreadableRecord(Unreadable.UNKNOWN_EVENT_TYPE, str(exc)) from exc
    except UnknownSchemaVersion as exc:
        raise UnreadableRecord(Unreadable.UNKNOWN_SCHEMA_VERSION, str(exc)) from exc
    except ValidationError as exc:
        raise UnreadableRecord(Unreadable.INVALID_PAYLOAD, _errors(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:  # an upcaster met a malformed old payload
        raise UnreadableRecord(Unreadable.INVALID_PAYLOAD, f"cannot upcast: {exc!r}") from exc


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in exc.errors(include_url=False)
    )
