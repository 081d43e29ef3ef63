"""The faust application of the worker, with the same /healthz, /readyz and /metrics as the
APIs, served by faust's web server. /readyz answers 200 only when the broker answers and the
tables are restored from their changelogs, and says whether the worker is the node's active
worker or a standby (see :mod:`hazardous_transfer.adapters.one_active`)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import NotReady
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from hazardous_transfer.adapters.one_active import OneActiveAssignor, is_active
from hazardous_transfer.settings import HazardousSettings
from zw_shared.adapters import faust_app as shared_faust

log = logging.getLogger(__name__)


def broker_urls(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",")]


class _PromptFetchThread(shared_faust._ReadCommittedConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # faust fixes the broker's wait for a fetch at 1500 ms. aiokafka leaves out of a
        # fetch the partitions whose records are not yet taken; when such a fetch (of
        # partitions with nothing new) is held that long, the commands arriving meanwhile
        # on the other partitions wait with it. Read by the fetcher created at start.
        app: Any = self.app  # a PromptFetchApp
        consumer._fetch_max_wait_ms = app.fetch_max_wait_ms
        return consumer


class _PromptFetchConsumer(shared_faust._ReadCommittedConsumer):
    def _new_consumer_thread(self) -> _PromptFetchThread:
        return _PromptFetchThread(self, loop=self.loop, beacon=self.beacon)


class _PromptFetchTransport(shared_faust._ReadCommittedTransport):
    Consumer = _PromptFetchConsumer


class PromptFetchApp(shared_faust.ReadCommittedApp):
    """Reads committed records only, and fetches with a short broker wait
    (``WORKER_FETCH_MAX_WAIT_MS``): a command does not wait behind a held fetch."""

    def __init__(self, app_id: str, *, fetch_max_wait_ms: int, **options: Any) -> None:
        super().__init__(app_id, **options)
        self.fetch_max_wait_ms = fetch_max_wait_ms

    def _new_transport(self) -> Any:
        return _PromptFetchTransport(self.conf.broker_consumer, self)


def create_faust_app(settings: HazardousSettings) -> faust.App:
    datadir = Path(settings.worker_data_dir) / settings.hazardous_app_id
    datadir.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = PromptFetchApp(
        settings.hazardous_app_id,
        broker=broker_urls(settings.kafka_bootstrap_servers),
        store="memory://",
        datadir=str(datadir),
        topic_replication_factor=settings.topic_replication_factor,
        producer_acks=-1,
        # A batch's events, table changes and verdicts go out in a few requests, not one
        # each: a request (a socket write) costs more here than the records in it.
        producer_linger=settings.worker_producer_linger_ms / 1000,
        broker_session_timeout=settings.worker_session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.worker_session_timeout_s / 3),
        web_enabled=True,
        web_bind=settings.worker_web_host,
        web_port=settings.worker_web_port,
        fetch_max_wait_ms=settings.worker_fetch_max_wait_ms,
        # every partition to one worker of the node, standby copies to the others
        PartitionAssignor=OneActiveAssignor,
    )
    add_health_pages(app, settings.readiness_timeout_s)
    return app


async def broker_answers(app: faust.App, timeout_s: float) -> bool:
    """True when the broker answers a metadata request on the worker's own producer."""
    try:
        faust_producer: Any = app.producer  # faust's aiokafka driver; not in ProducerT
        producer = faust_producer._ensure_producer()
        await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout_s)
    except (NotReady, KafkaError, TimeoutError, OSError) as exc:
        log.warning("readiness: broker does not answer (%r)", exc)
        return False
    return True


def tables_recovered(app: faust.App) -> bool:
    """The web server may answer before the tables are restored from their changelogs."""
    manager: Any = app.tables  # its recovery service is not in TableManagerT
    recovery = manager.recovery
    return bool(recovery.completed.is_set() and not app.in_recovery and not app.rebalancing)


def role(app: faust.App) -> str:
    """``active`` (holds the node's partitions) or ``standby`` (keeps copies of its tables)."""
    return "active" if is_active(app) else "standby"


def add_health_pages(app: faust.App, readiness_timeout_s: float) -> None:
    @app.page("/healthz")
    async def healthz(self: View, request: Request) -> Response:
        return self.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(self: View, request: Request) -> Response:
        checks: dict[str, Any] = {
            "kafka": await broker_answers(app, readiness_timeout_s),
            "tables_recovered": tables_recovered(app),
        }
        ready = all(checks.values())
        # a standby is ready too: ready to take the node over
        body = {"status": "ready" if ready else "not ready", "checks": checks, "role": role(app)}
        return self.json(body, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(self: View, request: Request) -> Response:
        return self.bytes(generate_latest(), content_type="text/plain")
