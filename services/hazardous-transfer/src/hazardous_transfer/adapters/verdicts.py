"""The API's side of a command: it waits for the owner node's verdict, read from the
results topic (every partition, from the end, without a consumer group: each API instance
reads the results topic and keeps the verdicts addressed to its node, which it recognises by
the record's key before reading the record)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from zw_shared.contracts import unwrap
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.hazardous_commands import (
    TransferCommandAnswered,
    TransferCommandsAnswered,
)

log = logging.getLogger(__name__)


class VerdictListener:
    def __init__(self, bootstrap_servers: str, topic: str, node_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._node_id = node_id
        self._waiting: dict[str, asyncio.Future[TransferCommandAnswered]] = {}
        self._task: asyncio.Task[None] | None = None
        self.ready = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="verdict-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    def expect(self, command_id: str) -> asyncio.Future[TransferCommandAnswered]:
        """Register before sending the command, so that no verdict can arrive unseen."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = future
        return future

    def forget(self, command_id: str) -> None:
        self._waiting.pop(command_id, None)

    async def _run_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._consume()
            except (KafkaError, OSError) as exc:
                self.ready = False
                log.warning("verdict listener: broker not reachable (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            await self._position_at_end(consumer)
            self.ready = True
            mine = self._node_id.encode()
            async for message in consumer:
                if message.key in (mine, None):
                    self._deliver(message.value)
        finally:
            self.ready = False
            await consumer.stop()

    async def _position_at_end(self, consumer: AIOKafkaConsumer) -> None:
        # topics() does not refresh the cluster view of an unsubscribed consumer
        metadata = await consumer._client.fetch_all_metadata()
        partitions = metadata.partitions_for_topic(self._topic)
        if not partitions:
            raise KafkaError(f"topic {self._topic} does not exist")
        consumer.assign([TopicPartition(self._topic, p) for p in sorted(partitions)])
        await consumer.seek_to_end()
        for tp in consumer.assignment():
            await consumer.position(tp)  # resolves "latest" now, before any command is sent

    def _deliver(self, raw: bytes | None) -> None:
        try:
            verdict = unwrap(CloudEvent.from_bytes(raw or b""))
        except Exception as exc:  # never let one bad record stop the listener
            log.error("verdict listener: unreadable record (%s)", exc)
            return
        if isinstance(verdict, TransferCommandsAnswered):
            for one in verdict.verdicts:
                self._resolve(one)
        elif isinstance(verdict, TransferCommandAnswered):
            self._resolve(verdict)

    def _resolve(self, verdict: TransferCommandAnswered) -> None:
        future = self._waiting.pop(verdict.command_id, None)
        if future is not None and not future.done():
            future.set_result(verdict)
