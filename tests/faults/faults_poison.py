"""Poison records and the consumers they are aimed at.

Which service consumes which topic (from the services' code: the topics each one
subscribes to or follows), and what each does with a record it cannot read: a worker in a
consumer group sends it to its service's dead-letter topic with the reason; a reader that
keeps a view of a topic (no group, no dead-letter topic of its own) skips it, counts it and
logs it, as its module documents. Three poisons per partition of every consumed topic: bytes
that are not JSON, a valid envelope of an unknown type, and the topic's own event type with
a payload that fails validation."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer
from faults_support import Record

import zw_shared.contracts  # noqa: F401 - registers every event type
from zw_shared import topics as registry
from zw_shared.contracts.registry import info
from zw_shared.topics import TopicSpec

SERVICES = Path(__file__).parents[2] / "services"
KINDS = ("undecodable", "unknown_type", "invalid_payload")
DEAD_LETTER = "dead-lettered"
SKIPPED = "skipped (documented: a view has no dead-letter topic; counted and logged)"


@dataclass(frozen=True)
class Consumer:
    service: str  # the service's folder under services/
    process: str  # the process that reads
    topic: TopicSpec
    handling: str  # DEAD_LETTER or SKIPPED


def consumers() -> list[Consumer]:
    t = registry
    dead, skip = DEAD_LETTER, SKIPPED
    return [
        Consumer("waste-intake", "waste-intake-worker", t.WASTE_FLOW_EVENTS, dead),
        Consumer("waste-intake", "waste-intake-worker", t.WASTE_CELLS, dead),
        Consumer("waste-intake", "waste-intake-worker", t.WASTE_FACILITIES, dead),
        Consumer("waste-intake", "waste-intake-worker", t.WASTE_FACILITY_CREDENTIALS, dead),
        Consumer("waste-intake", "waste-intake-api", t.WASTE_FLOW_EVENTS, skip),
        Consumer("waste-intake", "waste-intake-api", t.WASTE_CELLS, skip),
        Consumer("waste-intake", "waste-intake-api", t.WASTE_FACILITIES, skip),
        Consumer("waste-intake", "waste-intake-api", t.WASTE_FACILITY_CREDENTIALS, skip),
        Consumer("scoring", "scoring-worker", t.WASTE_FLOW_EVENTS, dead),
        Consumer("scoring", "scoring-worker", t.CELL_ASSESSMENTS, dead),
        Consumer("scoring", "scoring-worker", t.HAZARDOUS_EVENTS, dead),
        Consumer("scoring", "scoring-worker", t.SCORING_MANIFEST_FACTS, dead),
        Consumer("scoring", "scoring-worker", t.WASTE_CELLS, skip),
        Consumer("scoring", "scoring-worker", t.WASTE_FACILITIES, skip),
        Consumer("scoring", "scoring-api", t.CELL_TOTALS, skip),
        Consumer("scoring", "scoring-api", t.WASTE_CELLS, skip),
        Consumer("scoring", "scoring-api", t.CELL_MONTH_FLOWS, skip),
        Consumer("hazardous-transfer", "hazardous-worker", t.HAZARDOUS_COMMANDS, dead),
        Consumer("hazardous-transfer", "hazardous-worker", t.HAZARDOUS_EVENTS, dead),
        Consumer("hazardous-transfer", "hazardous-api", t.HAZARDOUS_COMMAND_RESULTS, skip),
    ]


# Topics a service names in its code but never consumes as a running service, and why.
NOT_CONSUMED = {
    "waste-intake": {
        registry.WASTE_DEAD_LETTERS.name: "written by the worker; read only by the operator's "
        "dead-letters CLI",
    },
    "scoring": {
        registry.CELL_SCORES.name: "written by the worker (the replay CLI reads it to compare)",
        registry.SCORING_DEAD_LETTERS.name: "written only",
    },
    "hazardous-transfer": {
        registry.HAZARDOUS_DEAD_LETTERS.name: "written only",
    },
}
DEAD_LETTER_TOPICS = {
    "waste-intake": registry.WASTE_DEAD_LETTERS,
    "scoring": registry.SCORING_DEAD_LETTERS,
    "hazardous-transfer": registry.HAZARDOUS_DEAD_LETTERS,
}


def topics_named_in_code(service: str) -> set[str]:
    """The registry topics a service's source refers to (by their constant in topics.py)."""
    constants = {
        name: spec.name for name, spec in vars(registry).items() if isinstance(spec, TopicSpec)
    }
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (SERVICES / service / "src").rglob("*.py")
    )
    named = set(re.findall(r"\b[A-Z][A-Z_]+\b", source))
    return {constants[name] for name in named & set(constants)}


# --- the poison records -----------------------------------------------------------------


def poisons(spec: TopicSpec) -> dict[str, bytes]:
    """The three poisons for ``spec``'s topic, by kind."""
    envelope = {
        "specversion": "1.0", "id": "faults/poison", "source": "/faults",
        "time": "2026-11-24T00:00:00+00:00", "dataschema": "urn:faults", "dataversion": 1,
    }  # fmt: skip
    own_type = info(spec.event_types[0])
    invalid = {**envelope, "type": own_type.event_type, "dataversion": own_type.version,
               "data": {"not": "the fields of this event"}}  # fmt: skip
    return {
        "undecodable": b"\xff\x00 this is not JSON",
        "unknown_type": json.dumps(
            {**envelope, "type": "faults.no-such-type", "data": {}}
        ).encode(),
        "invalid_payload": json.dumps(invalid).encode(),
    }


@dataclass(frozen=True)
class Placed:
    """A poison record as the broker placed it."""

    topic: str
    partition: int
    offset: int
    kind: str


async def put_poisons(
    producer: AIOKafkaProducer, spec: TopicSpec, topic: str, key: bytes
) -> list[Placed]:
    """Every poison on every partition of the topic (so that every consumer instance of every
    partition meets them), in order."""
    placed = []
    for partition in range(spec.partitions):
        for kind, value in poisons(spec).items():
            meta = await producer.send_and_wait(topic, value, key=key, partition=partition)
            placed.append(Placed(topic, meta.partition, meta.offset, kind))
    return placed


def origins(letters: list[Record], service: str) -> dict[str, set[tuple[int, int]]]:
    """(partition, offset) of the original record of each dead letter, by original topic."""
    found: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for letter in letters:
        topic, partition, offset = origin_of(letter, service)
        found[topic].add((partition, offset))
    return found


def origin_of(letter: Record, service: str) -> tuple[str, int, int]:
    if service == "hazardous-transfer":  # keyed by topic/partition/offset, reason header
        topic, partition, offset = (letter.key or b"").decode().rsplit("/", 2)
        return topic, int(partition), int(offset)
    headers = {k: v.decode() for k, v in letter.headers}
    return headers["dlq.topic"], int(headers["dlq.partition"]), int(headers["dlq.offset"])


def reason_of(letter: Record, service: str) -> str:
    headers: dict[str, str] = {k: v.decode() for k, v in letter.headers}
    return headers["reason"] if service == "hazardous-transfer" else headers["dlq.reason"]
