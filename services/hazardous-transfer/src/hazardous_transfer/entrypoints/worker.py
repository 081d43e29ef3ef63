"""faust worker of a hazardous-transfer province node.

Run: ``hazardous-transfer-worker`` (env: KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, NODE_ID,
SERVED_PROVINCES (e.g. ``32``), HAZARDOUS_APP_ID (consumer group and changelog names: one per
node), WORKER_WEB_PORT (default 6063) for /healthz, /readyz, /metrics and /records/...).

It decides the commands for the records its provinces own (applications and manifests that
leave them), publishes their events, copies the events of other nodes that concern its
provinces, and emits an overdue event for every time limit that passes. Run one worker per
node: its tables hold every record of the node.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.types import StreamT

from hazardous_transfer.adapters.faust_app import create_faust_app
from hazardous_transfer.adapters.tables import create_tables
from hazardous_transfer.adapters.transfer_worker import TransferWorker
from hazardous_transfer.bootstrap import build_policy
from hazardous_transfer.entrypoints.worker_pages import add_record_pages
from hazardous_transfer.settings import HazardousSettings
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
    topics = {
        key: _raw_topic(app, settings.topic(spec.name))
        for key, spec in (
            ("commands", HAZARDOUS_COMMANDS),
            ("events", HAZARDOUS_EVENTS),
            ("results", HAZARDOUS_COMMAND_RESULTS),
            ("dead_letters", HAZARDOUS_DEAD_LETTERS),
        )
    }
    tables = create_tables(app)
    worker = TransferWorker(
        tables, topics, build_policy(settings), settings.served, settings.node_id
    )

    @app.agent(topics["commands"], name="transfer-commands")
    async def decide_commands(stream: StreamT[bytes]) -> None:
        batches: Any = stream  # take_events is on faust's Stream, not in StreamT
        async for batch in batches.take_events(settings.command_batch_size, within=0.005):
            await worker.on_commands([(event.value, _where(event)) for event in batch])

    @app.agent(topics["events"], name="transfer-events")
    async def copy_events(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await worker.on_event(event.value, _where(event))

    @app.timer(interval=settings.deadline_check_interval_s)  # type: ignore[untyped-decorator]
    async def check_deadlines() -> None:
        await worker.check_deadlines()

    add_record_pages(app, tables)
    return worker


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
    app = build_worker_app(settings)
    app.Worker(loglevel=settings.worker_log_level).execute_from_commandline()
