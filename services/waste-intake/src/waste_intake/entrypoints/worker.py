"""Worker of waste-intake: reads the intake topics (flow events and the registry) in a
consumer group and sends every record that cannot be read to the dead-letter topic with
the reason, then goes on. Offsets are committed only after the dead letter is acknowledged.

Run: ``waste-intake-worker`` (env: KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, INTAKE_APP_ID
(names the consumer group ``<id>-dead-letters``), WORKER_WEB_HOST, WORKER_WEB_PORT (default
6061) for /healthz, /readyz and /metrics).
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError
from fastapi import FastAPI
from prometheus_client import Counter

from waste_intake.adapters.dead_letters import headers_for, unreadable_reason
from waste_intake.settings import IntakeSettings
from zw_shared.adapters.kafka_connect import bound_connection_setup
from zw_shared.adapters.publisher import BrokerUnavailable, EventPublisher
from zw_shared.observability import health_router
from zw_shared.topics import (
    WASTE_CELLS,
    WASTE_DEAD_LETTERS,
    WASTE_FACILITIES,
    WASTE_FACILITY_CREDENTIALS,
    WASTE_FLOW_EVENTS,
    TopicSpec,
)

log = logging.getLogger(__name__)
INTAKE_TOPICS = (WASTE_FLOW_EVENTS, WASTE_CELLS, WASTE_FACILITIES, WASTE_FACILITY_CREDENTIALS)
DEAD_LETTERS = Counter(
    "waste_intake_dead_letters_total", "Records sent to the dead-letter topic", ["topic"]
)


class DeadLetterWorker:
    def __init__(self, settings: IntakeSettings) -> None:
        self.settings = settings
        self.specs: dict[str, TopicSpec] = {settings.topic(s.name): s for s in INTAKE_TOPICS}
        self.dead_letter_topic = settings.topic(WASTE_DEAD_LETTERS.name)
        self.publisher = EventPublisher(
            settings.kafka_bootstrap_servers,
            settings.publish_timeout_s,
            client_id=f"{settings.intake_app_id}-worker",
        )
        self.consumer: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        """Consumes until cancelled; a lost broker restarts the consumer from the last
        committed offset (at least once: nothing unread is skipped)."""
        await self.publisher.start()
        delay = 0.5
        try:
            while True:
                try:
                    await self._consume()
                except (KafkaError, BrokerUnavailable, OSError) as exc:
                    log.warning("consumer stopped (%s); restarting in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
        finally:
            await self.publisher.stop()

    async def _consume(self) -> None:
        self.consumer = AIOKafkaConsumer(
            *self.specs,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.settings.dead_letter_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await self.consumer.start()
        try:
            while True:
                await self._round(self.consumer)
        finally:
            await self.consumer.stop()

    async def _round(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
        for records in batches.values():
            for record in records:
                reason = unreadable_reason(self.specs[record.topic], record.value)
                if reason is not None:
                    await self._dead_letter(record, reason)
        if batches:
            await consumer.commit()

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        topic, partition, offset = record.topic, record.partition, record.offset
        headers = headers_for(reason, topic, partition, offset, record.key)
        origin = f"{topic}/{partition}/{offset}"
        await self.publisher.publish_raw(
            self.dead_letter_topic, origin, record.value or b"", headers
        )
        DEAD_LETTERS.labels(topic).inc()
        log.warning("dead-lettered %s/%s/%s: %s", topic, partition, offset, reason)

    async def ready(self) -> dict[str, bool]:
        kafka = await self.publisher.is_ready(self.settings.readiness_timeout_s)
        assigned = self.consumer is not None and bool(self.consumer.assignment())
        return {"kafka": kafka, "consuming": assigned}


def create_web_app(worker: DeadLetterWorker) -> FastAPI:
    app = FastAPI(title="waste-intake-worker")
    app.include_router(health_router(worker.ready))
    return app


async def serve(settings: IntakeSettings) -> None:
    worker = DeadLetterWorker(settings)
    config = uvicorn.Config(
        create_web_app(worker), host=settings.worker_web_host, port=settings.worker_web_port
    )
    web = uvicorn.Server(config)
    await asyncio.gather(worker.run(), web.serve())


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = IntakeSettings()
    bound_connection_setup(settings.kafka_connect_timeout_s)
    asyncio.run(serve(settings))
