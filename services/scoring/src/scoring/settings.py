"""The scoring service's one settings object, read from the environment."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from zw_shared.settings import KafkaSettings


class ScoringSettings(KafkaSettings):
    # faust application id: the consumer group and the prefix of the table changelog topics.
    # Tests give each worker a unique id.
    scoring_app_id: str = Field(default="scoring", min_length=1)
    worker_web_host: str = "0.0.0.0"
    worker_web_port: int = Field(default=6062, ge=1, le=65535)
    # Where faust keeps its per-app folder (env WORKER_DATA_DIR); not the working directory.
    worker_data_dir: str = Field(default_factory=lambda: f"{tempfile.gettempdir()}/zw-faust")
    # faust sleeps this long after a rebalance before consuming (lets every worker settle).
    worker_stream_recovery_delay_s: float = Field(default=1.0, ge=0, le=60)
    worker_session_timeout_s: float = Field(default=30.0, gt=0, le=300)
    worker_heartbeat_interval_s: float = Field(default=3.0, gt=0, le=60)
    # How long the worker's producer waits for the broker's answer to a request, and a
    # record batch for its acknowledgement (faust's default, 20 minutes). The tables' records,
    # totals and months not taken by then are sent again (scoring.adapters.batch_sender);
    # dead letters and manifest facts are sent by faust and would be lost: keep it long.
    worker_producer_request_timeout_s: float = Field(default=1200.0, gt=0, le=3600)
    # The largest record batch the worker's producer builds for one topic partition. A batch
    # of events writes megabytes (scores are ~4 KB each), and the producer sends one batch
    # per partition per request: faust's 16 KiB made a loop that only wrote the worker's
    # output wait out round trip after round trip (bench/_ceiling.py, 2026-12-08: 1,884-2,492
    # events/s at 16 KiB, 5,242-5,759 at 1 MiB). At most the broker's message.max.bytes.
    worker_producer_batch_bytes: int = Field(default=512 * 1024, ge=16 * 1024, le=1_000_000)
    # The worker applies events in batches of at most this many, or what arrived within this
    # time, and writes and publishes each touched cell and month once per batch. A batch's
    # output is in memory at once. 40,000 events over 10,000 cells, one worker (peak RSS,
    # events/s): 250: 250 MB, 1842; 500: 251-261 MB, 1617-1820; 4,096: 378-386 MB,
    # 1207-1507; 20,000: 824 MB. Larger batches pay off only where many events of a batch
    # touch the same cells.
    worker_batch_max_events: int = Field(default=500, ge=1, le=1_000_000)
    worker_batch_within_s: float = Field(default=0.05, gt=0, le=60)
    # Allocations (net) between two young-generation garbage collections. Python's 700 made
    # the worker collect every few events, each collection walking what the batch holds:
    # 40,000 events over 10,000 cells, one worker, events/s (2026-12-08): 700: 1261-1613;
    # 10,000: 1896; 50,000: 1850-2154; collector off: 2186; peak RSS 251-261 MB in every
    # run: what the worker keeps (table states, decoded months) is plain data, freed by
    # reference counting when dropped, not by the collector.
    worker_gc_young_threshold: int = Field(default=50_000, ge=100, le=10_000_000)
    # Scores are published in the background, each due (cell, period) once however many
    # events changed it: at most this many per round, and while the worker counts events,
    # in at most this share of its time (counting comes first; scores catch up after).
    score_round_max: int = Field(default=500, ge=1, le=100_000)
    score_busy_share: float = Field(default=0.25, gt=0, le=1)
    # how long the worker waits for the broker (and its changelog topics) when it starts
    worker_startup_timeout_s: float = Field(default=60.0, gt=0, le=600)
    # Months follow the city's calendar; a flow reported later than this after it occurred
    # is not on time (reporting timeliness).
    scoring_timezone: str = "Asia/Shanghai"
    report_on_time_within_hours: float = Field(default=72.0, gt=0, le=24 * 366)
    # the indicator system's YAML file; empty: the packaged default (shanghai-cells v1)
    indicator_system_path: Path | None = None
    # identity of the events the worker publishes (CloudEvents ``source``)
    event_source: str = "urn:zero-waste-city:scoring"
    # scoring-replay waits this long for the worker to commit the log's end before comparing
    replay_wait_s: float = Field(default=60.0, gt=0, le=3600)
    api_host: str = "0.0.0.0"
    api_port: int = Field(default=8002, ge=1, le=65535)
    # The API is for the officials of this province (GB/T 2260; 31 Shanghai): their tokens
    # (zw_shared.auth, secret AUTH_TOKEN_SECRET) read scores and record assessments. The
    # dashboard's session cookie is Secure unless SESSION_COOKIE_SECURE=false (plain HTTP
    # other than localhost).
    scoring_province: str = Field(default="31", pattern=r"^\d{2}$")
    session_cookie_secure: bool = True
    # The API's reader of the totals topic: how long one fetch waits, and how many records.
    view_poll_timeout_ms: int = Field(default=500, ge=10, le=30_000)
    view_max_records: int = Field(default=5_000, ge=1, le=100_000)
    # A manifest whose shipper the worker's facility registry does not know waits at most
    # this long for the registry to read its topic to the end (the facility may be new).
    registry_read_timeout_s: float = Field(default=5.0, gt=0, le=300)
    # Live updates (GET /v1/events/stream): changes queued per client before it is told to
    # resync, clients at most, the keep-alive ping, and how long one send may take before
    # the client is dropped.
    live_queue_size: int = Field(default=256, ge=2, le=100_000)
    live_max_clients: int = Field(default=200, ge=1, le=100_000)
    live_ping_s: float = Field(default=15.0, gt=0, le=300)
    live_send_timeout_s: float = Field(default=10.0, gt=0, le=300)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("scoring_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.scoring_timezone)

    @property
    def on_time_within(self) -> timedelta:
        return timedelta(hours=self.report_on_time_within_hours)
