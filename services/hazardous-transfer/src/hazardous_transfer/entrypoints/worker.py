"""faust worker of a hazardous-transfer province node.

Run: ``hazardous-transfer-worker`` (env: KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, NODE_ID,
SERVED_PROVINCES (e.g. ``32``), HAZARDOUS_APP_ID (consumer group and changelog names: one per
node), WORKER_WEB_PORT (default 6063) for /healthz, /readyz, /metrics and /records/...).

It decides the commands for the records its provinces own (applications and manifests that
leave them), publishes their events, copies the events of other nodes that concern its
provinces, and emits an overdue event for every time limit that passes. A node may run
several: one is active and holds every partition (its tables hold every record of the node),
the others are hot standbys that keep copies of the tables and take over when it stops
(:mod:`hazardous_transfer.adapters.one_active`).
"""

from __future__ import annotations

import time
from typing import Any

import faust
from faust.types import StreamT

from hazardous_transfer.adapters import metrics
from hazardous_transfer.adapters.faust_app import create_faust_app, tables_recovered
from hazardous_transfer.adapters.one_active import is_active
from hazardous_transfer.adapters.tables import create_tables, declare_changelogs
from hazardous_transfer.adapters.transfer_worker import Headers, TransferWorker
from hazardous_transfer.bootstrap import build_policy
from hazardous_transfer.entrypoints.worker_pages import add_record_pages
from hazardous_transfer.settings import HazardousSettings
from zw_shared.adapters.kafka_connect import bound_connection_setup
from zw_shared.topics import (
    HAZARDOUS_COMMAND_RESULTS,
    HAZARDOUS_COMMANDS,
    HAZARDOUS_DEAD_LETTERS,
    HAZARDOUS_EVENTS,
)


def _raw_topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def register_agents(app: faust.App, settings: HazardousSettings) -> TransferWorker:
    commands = _raw_topic(app, settings.topic(HAZARDOUS_COMMANDS.name))
    events = _raw_topic(app, settings.topic(HAZARDOUS_EVENTS.name))
    names = {
        "events": settings.topic(HAZARDOUS_EVENTS.name),
        "results": settings.topic(HAZARDOUS_COMMAND_RESULTS.name),
        "dead_letters": settings.topic(HAZARDOUS_DEAD_LETTERS.name),
    }

    async def send(topic: str, key: bytes, value: bytes, headers: Headers | None) -> Any:
        # The worker's producer itself (acks=all): faust's Topic.send costs more per record.
        producer = await app.maybe_start_producer()
        return await producer.send(topic, key, value, None, None, headers)

    tables = create_tables(app)
    worker = TransferWorker(
        tables, names, send, build_policy(settings), settings.served, settings.node_id
    )

    @app.agent(commands, name="transfer-commands")
    async def decide_commands(stream: StreamT[bytes]) -> None:
        batches: Any = stream  # take_events is on faust's Stream, not in StreamT
        wait = settings.command_batch_wait_ms / 1000
        async for batch in batches.take_events(settings.command_batch_size, within=wait):
            now = time.time()
            for event in batch:  # how long a command waited before it was decided
                metrics.COMMAND_WAIT_SECONDS.observe(max(0.0, now - event.message.timestamp))
            await worker.on_commands([(event.value, _where(event)) for event in batch])

    @app.agent(events, name="transfer-events")
    async def copy_events(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await worker.on_event(event.value, _where(event), _headers(event))

    @app.timer(interval=settings.deadline_check_interval_s)  # type: ignore[untyped-decorator]
    async def check_deadlines() -> None:
        # The active worker only, once its tables are whole: a standby's copies may lag,
        # and a sweep over tables half restored would find limits passed again.
        if is_active(app) and tables_recovered(app):
            await worker.check_deadlines()

    add_record_pages(app, tables)
    metrics.OVERDUE_MANIFESTS.watch(
        lambda: tables.records().manifest_documents() if is_active(app) else None,
        settings.served,
    )
    return worker


def _headers(event: faust.EventT[bytes]) -> Headers:
    headers: Any = event.headers  # a list of (key, value) pairs from aiokafka, or a mapping
    pairs = headers.items() if hasattr(headers, "items") else headers or ()
    return [(k, v) for k, v in pairs]


def _where(event: faust.EventT[bytes]) -> str:
    message = event.message
    return f"{message.topic}/{message.partition}/{message.offset}"


def build_worker_app(settings: HazardousSettings | None = None) -> faust.App:
    settings = settings or HazardousSettings()
    app = create_faust_app(settings)
    register_agents(app, settings)
    return app


def main() -> None:
    settings = HazardousSettings()
    bound_connection_setup(settings.kafka_connect_timeout_s)
    app = build_worker_app(settings)
    declare_changelogs(app, settings.kafka_bootstrap_servers, settings.topic_replication_factor)
    worker = app.Worker(loglevel=settings.worker_log_level)
    # faust's terminal spinner hangs a DEBUG handler on the root logger: every library's
    # debug message is then built (and costs) even at level warning.
    worker.spinner = None
    worker.execute_from_commandline()
