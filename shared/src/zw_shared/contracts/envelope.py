"""CloudEvents 1.0 envelope (structured mode, JSON) that carries every event between services.

Bytes and JSON exist only here and in adapters; the domain sees frozen pydantic models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_URN = "urn:zero-waste-city:schema"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope. ``dataversion`` is an extension attribute carrying the
    schema version of ``data``; ``dataschema`` names the same schema as a URN."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    dataversion: int = Field(ge=1)
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone offset")
        return value.astimezone(UTC)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)


def schema_urn(event_type: str, version: int) -> str:
    return f"{SCHEMA_URN}:{event_type}:{version}"
