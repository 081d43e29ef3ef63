"""Reading the records of the waste-flow topic: bytes in, a validated payload out, or an
:class:`UnreadableRecord` naming why not (the worker sends those to the dead-letter topic)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ValidationError

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import UnknownEventType, UnknownSchemaVersion, unwrap
from zw_shared.contracts.scoring import CellAssessed
from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded, WasteFlowVoided

FlowEvent = WasteFlowRecorded | WasteFlowCorrected | WasteFlowVoided

MAX_DETAIL_CHARS = 1_000


class Unreadable(StrEnum):
    NO_VALUE = "no_value"
    INVALID_ENVELOPE = "invalid_envelope"  # not JSON, or not a CloudEvents envelope
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNKNOWN_SCHEMA_VERSION = "unknown_schema_version"
    INVALID_PAYLOAD = "invalid_payload"
    UNEXPECTED_EVENT_TYPE = "unexpected_event_type"  # a known type that has no place here
    KEY_MISMATCH = "key_mismatch"  # the record key is not the payload's cell id
    REFUSED = "refused"  # readable, but cannot apply (corrects or voids an unknown event)
    PROCESSING_ERROR = "processing_error"


class UnreadableRecord(ValueError):
    def __init__(self, reason: Unreadable, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail[:MAX_DETAIL_CHARS]


def read_flow_event(key: bytes | None, value: bytes | None) -> tuple[CloudEvent, FlowEvent]:
    """The envelope and its payload (upcast to the current version) of one record."""
    envelope = envelope_of(value)
    payload = payload_of(envelope)
    if not isinstance(payload, WasteFlowRecorded | WasteFlowCorrected | WasteFlowVoided):
        raise UnreadableRecord(
            Unreadable.UNEXPECTED_EVENT_TYPE,
            f"{envelope.type!r} is not read from the waste-flow topic",
        )
    check_key(key, payload.cell_id)
    return envelope, payload


def read_assessment(key: bytes | None, value: bytes | None) -> tuple[CloudEvent, CellAssessed]:
    envelope = envelope_of(value)
    payload = payload_of(envelope)
    if not isinstance(payload, CellAssessed):
        raise UnreadableRecord(
            Unreadable.UNEXPECTED_EVENT_TYPE,
            f"{envelope.type!r} is not read from the assessments topic",
        )
    check_key(key, payload.cell_id)
    return envelope, payload


def check_key(key: bytes | None, expected: str, field: str = "cell_id") -> None:
    """The record's key must be the event's ``field``: the worker's tables are partitioned
    by it."""
    if key is None or key.decode(errors="replace") != expected:
        raise UnreadableRecord(
            Unreadable.KEY_MISMATCH, f"record key {key!r} is not the event's {field} {expected!r}"
        )


def envelope_of(value: bytes | None) -> CloudEvent:
    if value is None:
        raise UnreadableRecord(Unreadable.NO_VALUE, "record has no value")
    try:
        return CloudEvent.from_bytes(value)
    except ValidationError as exc:
        raise UnreadableRecord(Unreadable.INVALID_ENVELOPE, _errors(exc)) from exc


def payload_of(envelope: CloudEvent) -> object:
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
