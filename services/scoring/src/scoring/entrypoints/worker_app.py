"""The scoring worker's faust application: created here, its agents and tables are added by
:mod:`scoring.entrypoints.totals_agent` and its web views by
:mod:`scoring.entrypoints.worker_web` (wired in :mod:`scoring.bootstrap`)."""

from __future__ import annotations

from pathlib import Path

import faust

from scoring.settings import ScoringSettings
from zw_shared.adapters.faust_app import ReadCommittedApp
from zw_shared.topics import WASTE_FLOW_EVENTS


def create_worker_app(settings: ScoringSettings) -> faust.App:
    datadir = Path(settings.worker_data_dir) / settings.scoring_app_id
    datadir.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    return ReadCommittedApp(
        settings.scoring_app_id,
        datadir=str(datadir),
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap_servers.split(",")],
        store="memory://",
        # Tables are co-partitioned with the waste-flow topic they are built from.
        topic_partitions=WASTE_FLOW_EVENTS.partitions,
        # No standby copies: a worker that gains a partition reads it from its changelog
        # (see scoring.adapters.offsets_store).
        table_standby_replicas=0,
        topic_replication_factor=settings.topic_replication_factor,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_max_batch_size=settings.worker_producer_batch_bytes,
        producer_request_timeout=settings.worker_producer_request_timeout_s,
        # Send what an agent publishes at once, not when the source offset is committed
        # (faust's "attachments"): the commit still flushes the producer first, so an offset
        # is never committed before its output was acknowledged, and latency stays low.
        stream_publish_on_commit=False,
        stream_recovery_delay=settings.worker_stream_recovery_delay_s,
        broker_session_timeout=settings.worker_session_timeout_s,
        broker_heartbeat_interval=settings.worker_heartbeat_interval_s,
        web_enabled=True,
        web_host=settings.worker_web_host,
        web_port=settings.worker_web_port,
        web_bind=settings.worker_web_host,
        autodiscover=False,
    )
