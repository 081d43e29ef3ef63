"""The one settings object of hazardous-transfer, read from the environment.

A deployment is a province node: it serves one province or several (``SERVED_PROVINCES``),
owns the applications and manifests whose origin it serves, and keeps a replica of every
other record that concerns its provinces.
"""

from __future__ import annotations

import tempfile
from typing import Any

from pydantic import Field, field_validator, model_validator

from hazardous_transfer.domain.policy import WhiteListEntry
from hazardous_transfer.domain.provinces import YRD
from zw_shared.settings import KafkaSettings


class HazardousSettings(KafkaSettings):
    # HTTP API (env API_HOST, API_PORT).
    api_host: str = "0.0.0.0"  # a container listens on every interface
    api_port: int = Field(default=8003, ge=1, le=65535)
    # faust worker: its app id names its consumer group and changelog topics.
    hazardous_app_id: str = Field(default="hazardous-transfer", min_length=1)
    worker_web_host: str = "0.0.0.0"
    worker_web_port: int = Field(default=6063, ge=1, le=65535)
    worker_log_level: str = "info"
    # Where faust keeps its local files (one folder per app id); tables are in memory and
    # in their changelog topics, so nothing here needs to survive a restart.
    worker_data_dir: str = Field(default_factory=lambda: f"{tempfile.gettempdir()}/zw-faust")
    # How long the broker waits for a worker that stopped answering before handing its
    # partitions to a restarted one (Kafka's group.min.session.timeout.ms is 6 s).
    worker_session_timeout_s: float = Field(default=60.0, ge=6, le=300)
    # How long the broker may hold the worker's fetch when there is nothing new (faust's
    # own 1500 ms delays commands behind a fetch of quiet partitions).
    worker_fetch_max_wait_ms: int = Field(default=50, ge=1, le=1500)
    # How long the worker's producer gathers records into one request.
    worker_producer_linger_ms: float = Field(default=5, ge=0, le=100)
    # Where the API reads records from: the web server of the node's worker, or of each of
    # its workers, separated by commas (the active one answers, standbys answer 421).
    worker_url: str = "http://127.0.0.1:6063"

    # The node: its name on reply topics and the provinces it serves.
    node_id: str = Field(default="yrd", pattern=r"^[a-z0-9-]{1,32}$")
    served_provinces: str = Field(default="31,32,33,34", description="GB/T 2260 codes, CSV")
    # Provinces known to the system: JSON {"36": {"name": ..., "prefectures": {...}}};
    # default the Yangtze River Delta.
    provinces: dict[str, dict[str, Any]] = Field(default_factory=lambda: dict(YRD))

    white_list: list[WhiteListEntry] = Field(default_factory=list)
    # Full 名录 code tables per edition: JSON {"2025": "/path/codes-2025.txt"}, one code a line.
    waste_code_tables: dict[str, str] = Field(default_factory=dict)
    quantity_tolerance: float = Field(default=0.05, ge=0, le=1)
    approval_validity_months: int = Field(default=12, ge=1, le=60)
    completeness_check_days: int = Field(default=5, ge=1)
    review_days: int = Field(default=5, ge=1)
    destination_answer_days: int = Field(default=10, ge=1)
    decision_days: int = Field(default=5, ge=1)
    receipt_confirmation_days: int = Field(default=5, ge=1)
    paper_backfill_days: int = Field(default=10, ge=1)

    # How long the API waits for the worker's verdict on a command.
    command_timeout_s: float = Field(default=10.0, gt=0, le=120)
    deadline_check_interval_s: float = Field(default=60.0, gt=0)
    # Commands decided together, their events acknowledged by the broker in one wait.
    command_batch_size: int = Field(default=200, ge=1, le=10_000)
    # How long the worker gathers commands for a batch (less when the batch fills up). Under
    # load a longer wait makes larger batches (their costs are shared); alone, a command
    # waits this long at most.
    command_batch_wait_ms: float = Field(default=20, gt=0, le=1000)
    # How far in the past a client may date an act: signatures of a paper manifest are
    # entered afterwards with their real times, within 10 working days (three weeks or more
    # across a holiday).
    max_backdate_days: int = Field(default=30, ge=0, le=366)

    @field_validator("served_provinces")
    @classmethod
    def _codes(cls, value: str) -> str:
        codes = [c.strip() for c in value.split(",") if c.strip()]
        if not codes or any(len(c) != 2 or not c.isdigit() for c in codes):
            raise ValueError("SERVED_PROVINCES must list two-digit province codes, e.g. 31,32")
        return ",".join(codes)

    @model_validator(mode="after")
    def _served_are_known(self) -> HazardousSettings:
        unknown = self.served - set(self.provinces)
        if unknown:
            raise ValueError(f"SERVED_PROVINCES {sorted(unknown)} are not in PROVINCES")
        if self.environment == "production" and self.max_backdate_days > 30:
            raise ValueError("production allows acts dated at most 30 days back")
        return self

    @property
    def served(self) -> frozenset[str]:
        return frozenset(self.served_provinces.split(","))
