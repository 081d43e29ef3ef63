"""Dead letters of the intake topics: what makes a record unreadable, how a dead letter is
written (the original key and bytes, the reason and origin in headers), and read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import UnknownEventType, UnknownSchemaVersion, unwrap
from zw_shared.topics import TopicSpec

H_REASON, H_TOPIC, H_PARTITION, H_OFFSET, H_KEY, H_AT = (
    "dlq.reason",
    "dlq.topic",
    "dlq.partition",
    "dlq.offset",
    "dlq.key",
    "dlq.failed_at",
)


def unreadable_reason(spec: TopicSpec, raw: bytes | None) -> str | None:
    """Why the record cannot be read as an event of this topic (None: it can)."""
    if not raw:
        return "empty value"
    try:
        envelope = CloudEvent.from_bytes(raw)
        if envelope.type not in spec.event_types:
            return f"event type {envelope.type!r} does not belong on {spec.name}"
        unwrap(envelope)
    except ValidationError as exc:
        return f"invalid: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}"[:500]
    except (UnknownEventType, UnknownSchemaVersion) as exc:
        return str(exc)
    except Exception as exc:  # an upcaster that fails on odd data: still a dead letter
        return f"unreadable ({type(exc).__name__}): {exc}"[:500]
    return None


@dataclass(frozen=True)
class DeadLetter:
    offset: int  # on the dead-letter topic
    reason: str
    topic: str
    partition: int
    original_offset: int
    key: bytes | None
    value: bytes
    failed_at: str


def headers_for(
    reason: str, topic: str, partition: int, offset: int, key: bytes | None
) -> list[tuple[str, bytes]]:
    return [
        (H_REASON, reason.encode()),
        (H_TOPIC, topic.encode()),
        (H_PARTITION, str(partition).encode()),
        (H_OFFSET, str(offset).encode()),
        (H_KEY, key or b""),
        (H_AT, datetime.now(UTC).isoformat().encode()),
    ]


def dead_letter_of(
    offset: int, value: bytes | None, headers: list[tuple[str, bytes]]
) -> DeadLetter:
    h = {name: raw for name, raw in headers}
    return DeadLetter(
        offset=offset,
        reason=h.get(H_REASON, b"").decode(errors="replace"),
        topic=h.get(H_TOPIC, b"").decode(),
        partition=int(h.get(H_PARTITION, b"-1")),
        original_offset=int(h.get(H_OFFSET, b"-1")),
        key=h.get(H_KEY) or None,
        value=value or b"",
        failed_at=h.get(H_AT, b"").decode(),
    )
