"""The one settings object of waste-intake, read from the environment."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from waste_intake.domain.catalogue import EDITIONS_IN_FORCE
from zw_shared.settings import KafkaSettings

# Only for a developer's laptop: refused in any other environment.
DEVELOPMENT_ADMIN_TOKEN = "dev-admin-token"


class IntakeSettings(KafkaSettings):
    # HTTP API (env API_HOST, API_PORT).
    api_host: str = "0.0.0.0"  # a container listens on every interface
    api_port: int = Field(default=8001, ge=1, le=65535)
    # uvicorn's line per request (env API_ACCESS_LOG); the metrics count every request anyway.
    api_access_log: bool = True
    intake_app_id: str = Field(default="waste-intake", min_length=1)
    # Stable per instance (e.g. the pod name): a restart then fences the old producer and
    # aborts its open transaction at once (env PRODUCER_TRANSACTIONAL_ID; optional).
    producer_transactional_id: str | None = None
    # Bearer token of the admin API (env INTAKE_ADMIN_TOKEN).
    intake_admin_token: SecretStr = SecretStr(DEVELOPMENT_ADMIN_TOKEN)
    # Validation limits (DOMAIN.md 2: reject absurd quantities and future dates).
    max_quantity_kg: float = Field(default=10_000_000.0, gt=0)  # 10 000 t in one event
    max_future_skew_s: float = Field(default=300.0, ge=0)  # clocks of reporting sites drift
    max_event_age_days: int = Field(default=400, ge=1)  # a year's reporting plus a margin
    # Tables of listed 名录 codes by edition, e.g. {"2025": "/etc/zw/minglu-2025.txt"} (env
    # HAZARDOUS_CODE_TABLES as JSON; one code per line). Editions without a table: form and
    # HW category are checked only.
    hazardous_code_tables: dict[str, Path] = Field(default_factory=dict)
    # The views (registry, seen ids) follow their topics in fetches of at least
    # VIEWS_FETCH_MIN_BYTES or after VIEWS_FETCH_MAX_WAIT_MS: fewer fetches under load; this
    # process's own writes are applied on acknowledgement, not when read back.
    views_fetch_min_bytes: int = Field(default=65536, ge=1)
    views_fetch_max_wait_ms: int = Field(default=100, ge=1, le=5000)
    # Batches: items per request (JSON array, NDJSON, CSV) and bytes per body.
    max_batch_items: int = Field(default=1000, ge=1, le=100_000)
    max_batch_bytes: int = Field(default=4_000_000, ge=1024)
    # Query API: the most recent events a facility may list at once; the local day of the
    # daily summary (Shanghai's facilities report in China Standard Time).
    max_recent_events: int = Field(default=500, ge=1)
    summary_timezone: str = "Asia/Shanghai"
    # Worker (dead letters): its consumer group and health port (env WORKER_WEB_PORT).
    worker_web_host: str = "0.0.0.0"
    worker_web_port: int = Field(default=6061, ge=1, le=65535)

    @field_validator("summary_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("hazardous_code_tables")
    @classmethod
    def _known_editions(cls, value: dict[str, Path]) -> dict[str, Path]:
        unknown = sorted(set(value) - set(EDITIONS_IN_FORCE))
        if unknown:
            raise ValueError(f"unknown 名录 editions {unknown}; known: {sorted(EDITIONS_IN_FORCE)}")
        return value

    @model_validator(mode="after")
    def _no_default_token_outside_development(self) -> IntakeSettings:
        token = self.intake_admin_token.get_secret_value()
        if not token.strip():
            raise ValueError("INTAKE_ADMIN_TOKEN is empty")
        if self.environment != "development" and token == DEVELOPMENT_ADMIN_TOKEN:
            raise ValueError("set INTAKE_ADMIN_TOKEN: the default token is for development only")
        if self.environment == "production" and len(token) < 32:
            raise ValueError("INTAKE_ADMIN_TOKEN needs at least 32 characters in production")
        return self

    @property
    def dead_letter_group(self) -> str:
        return f"{self.intake_app_id}-dead-letters"
