"""Event-type registry: each event type has a current schema version, its payload model and
small upcast functions from every older version (applied on read, so old events stay
readable forever, in the manner of pyeventsourcing's ``upcast_v1_v2``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from zw_shared.contracts.envelope import CloudEvent, schema_urn

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventPayload(BaseModel):
    """Base of every payload that crosses a service boundary: frozen, no unknown fields.
    Subclasses set ``event_type`` and ``version`` and register themselves with
    :func:`register`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int]


P = TypeVar("P", bound=EventPayload)


@dataclass(frozen=True)
class EventTypeInfo:
    event_type: str
    model: type[EventPayload]
    upcasters: dict[int, Upcaster] = field(default_factory=dict)
    """upcasters[n] turns a version-n payload into version n+1."""

    @property
    def version(self) -> int:
        return self.model.version

    def upcast(self, data: dict[str, Any], from_version: int) -> dict[str, Any]:
        if from_version > self.version:
            raise UnknownSchemaVersion(self.event_type, from_version, self.version)
        for v in range(from_version, self.version):
            if v not in self.upcasters:
                raise UnknownSchemaVersion(self.event_type, from_version, self.version)
            data = self.upcasters[v](dict(data))
        return data


class UnknownEventType(ValueError):
    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")


class UnknownSchemaVersion(ValueError):
    def __init__(self, event_type: str, version: int, current: int) -> None:
        super().__init__(
            f"{event_type!r} has no upcast path from schema version {version} "
            f"(current version {current})"
        )


_REGISTRY: dict[str, EventTypeInfo] = {}


def register(model: type[P], upcasters: dict[int, Upcaster] | None = None) -> type[P]:
    _REGISTRY[model.event_type] = EventTypeInfo(model.event_type, model, upcasters or {})
    return model


def event_types() -> Iterator[EventTypeInfo]:
    return iter(sorted(_REGISTRY.values(), key=lambda i: i.event_type))


def info(event_type: str) -> EventTypeInfo:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def wrap(
    payload: EventPayload, *, event_id: str, source: str, time: datetime, subject: str | None
) -> CloudEvent:
    """Put a payload into its CloudEvents envelope at the payload's current version."""
    return CloudEvent(
        id=event_id,
        source=source,
        type=payload.event_type,
        subject=subject,
        time=time,
        dataschema=schema_urn(payload.event_type, payload.version),
        dataversion=payload.version,
        data=payload.model_dump(mode="json"),
    )


def unwrap(envelope: CloudEvent) -> EventPayload:
    """Read the payload of an envelope, upcasting it to the current version."""
    type_info = info(envelope.type)
    data = type_info.upcast(envelope.data, envelope.dataversion)
    return type_info.model.model_validate(data)
