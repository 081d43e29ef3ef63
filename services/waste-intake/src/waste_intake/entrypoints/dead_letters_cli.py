"""List and replay the dead letters of the intake topics.

Run: ``waste-intake-dead-letters list [--json]`` prints every dead letter (its offset on the
dead-letter topic, where it came from, why it could not be read);
``waste-intake-dead-letters replay OFFSET [OFFSET ...]`` (or ``--all``) publishes each
original record again, same key and bytes, to its original topic, e.g. once an upcaster
that reads it is deployed (the worker dead-letters it again if it still cannot be read).
Env: KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, PUBLISH_TIMEOUT_S.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiokafka import AIOKafkaConsumer, TopicPartition

from waste_intake.adapters.dead_letters import DeadLetter, dead_letter_of
from waste_intake.settings import IntakeSettings
from zw_shared.adapters.publisher import EventPublisher
from zw_shared.topics import WASTE_DEAD_LETTERS


async def read_dead_letters(settings: IntakeSettings) -> list[DeadLetter]:
    topic = settings.topic(WASTE_DEAD_LETTERS.name)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)  # the dead-letter topic has one partition: one order
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        letters: list[DeadLetter] = []
        while await consumer.position(tp) < end:
            for record in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                letters.append(dead_letter_of(record.offset, record.value, list(record.headers)))
        return letters
    finally:
        await consumer.stop()


async def replay(settings: IntakeSettings, letters: list[DeadLetter]) -> list[str]:
    publisher = EventPublisher(
        settings.kafka_bootstrap_servers,
        settings.publish_timeout_s,
        "waste-intake-replay",
    )
    await publisher.start()
    await _until_ready(publisher, settings.publish_timeout_s * 4)
    try:
        lines = []
        for letter in letters:
            key = (letter.key or b"").decode()
            at = await publisher.publish_raw(letter.topic, key, letter.value)
            lines.append(
                f"replayed dead letter {letter.offset} -> {at.topic}/{at.partition}/{at.offset}"
            )
        return lines
    finally:
        await publisher.stop()


async def _until_ready(publisher: EventPublisher, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await publisher.is_ready(1.0):
        if asyncio.get_running_loop().time() > deadline:
            raise SystemExit("the broker is not reachable")
        await asyncio.sleep(0.2)


def describe(letter: DeadLetter) -> dict[str, object]:
    return {
        "offset": letter.offset,
        "from": f"{letter.topic}/{letter.partition}/{letter.original_offset}",
        "reason": letter.reason,
        "failed_at": letter.failed_at,
        "value": letter.value[:200].decode(errors="replace"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="waste-intake-dead-letters", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print every dead letter")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    again = commands.add_parser("replay", help="publish dead letters to their original topic")
    again.add_argument("offsets", nargs="*", type=int, help="offsets on the dead-letter topic")
    again.add_argument("--all", action="store_true", help="replay every dead letter")
    return parser.parse_args(argv)


async def run(argv: list[str] | None = None, settings: IntakeSettings | None = None) -> list[str]:
    args = parse_args(argv)
    settings = settings or IntakeSettings()
    letters = await read_dead_letters(settings)
    if args.command == "list":
        if args.json:
            return [json.dumps(describe(letter), ensure_ascii=False) for letter in letters]
        return [f"{d['offset']:>6}  {d['from']}  {d['reason']}" for d in map(describe, letters)]
    chosen = letters if args.all else [x for x in letters if x.offset in set(args.offsets)]
    missing = set(args.offsets) - {x.offset for x in letters}
    if missing:
        raise SystemExit(f"no dead letters at offsets {sorted(missing)}")
    return await replay(settings, chosen)


def main() -> None:
    for line in asyncio.run(run(sys.argv[1:])):
        print(line)
