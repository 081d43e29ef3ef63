"""Every event that crosses a service boundary. Importing this package registers them all."""

from zw_shared.contracts import hazardous, hazardous_commands, scoring, waste
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import EventPayload, event_types, info, unwrap, wrap

__all__ = [
    "CloudEvent",
    "EventPayload",
    "event_types",
    "hazardous",
    "hazardous_commands",
    "info",
    "scoring",
    "unwrap",
    "waste",
    "wrap",
]
