"""The scoring worker's raw topics and its dead letters: agents read undecoded bytes and
decode them themselves, so that a record they cannot read or apply is sent to the
dead-letter topic with the reason in its headers rather than dropped by faust."""

from __future__ import annotations

import logging
from typing import Any

import faust
from faust.types import Message

from scoring.adapters import metrics
from scoring.adapters.records import Unreadable

log = logging.getLogger(__name__)


def raw_topic(app: faust.App, name: str) -> faust.TopicT:
    """A topic of undecoded bytes."""
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


# a record as a stream gives it (a faust event) or as a batch does (its message)
Source = faust.EventT[Any] | Message


def message_of(record: Source) -> Message:
    return record if isinstance(record, Message) else record.message


def position(record: Source) -> str:
    message = message_of(record)
    return f"{message.topic}/{message.partition}/{message.offset}"


async def dead_letter(topic: faust.TopicT, record: Source, reason: Unreadable, detail: str) -> None:
    """Sends the record, as it was read, to ``topic`` with why and where from."""
    message = message_of(record)
    log.warning("dead-lettering %s: %s: %s", position(message), reason.value, detail)
    metrics.DEAD_LETTERS.labels(reason.value).inc()
    headers = [
        ("dlq.reason", reason.value.encode()),
        ("dlq.detail", detail.encode()),
        ("dlq.topic", message.topic.encode()),
        ("dlq.partition", str(message.partition).encode()),
        ("dlq.offset", str(message.offset).encode()),
        ("dlq.key", message.key if isinstance(message.key, bytes) else b""),
    ]
    value = message.value if isinstance(message.value, bytes) else b""
    await topic.send(key=position(message).encode(), value=value, headers=headers)
