"""Settings every service shares, read from the environment (one object per service:
each service subclasses :class:`KafkaSettings`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    kafka_bootstrap_servers: str = "localhost:9092"
    topic_prefix: str = ""
    topic_replication_factor: int = Field(default=1, ge=1)
    # How long a request waits for the broker's acknowledgement before answering 503.
    publish_timeout_s: float = Field(default=5.0, gt=0, le=120)
    # Transactional producers an API publishes through, each with one transaction in flight
    # (env PUBLISH_LANES; see zw_shared.adapters.publisher).
    publish_lanes: int = Field(default=1, ge=1, le=16)
    # How long an aiokafka client may take to open a connection to a broker (env
    # KAFKA_CONNECT_TIMEOUT_S; see zw_shared.adapters.kafka_connect).
    kafka_connect_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # How long a readiness probe waits for the broker's metadata.
    readiness_timeout_s: float = Field(default=2.0, gt=0, le=30)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @model_validator(mode="after")
    def _production_is_replicated(self) -> KafkaSettings:
        if self.environment == "production" and self.topic_replication_factor < 3:
            raise ValueError("production needs TOPIC_REPLICATION_FACTOR of at least 3")
        return self
