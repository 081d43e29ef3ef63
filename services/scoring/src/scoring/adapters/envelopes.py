"""The bytes of a CloudEvent the worker publishes, built straight from a JSON-safe payload
dict the worker made itself (its own figures, not input): the same JSON a
``wrap(Model.model_validate(data), ...).to_bytes()`` gives, without validating the payload
and then the envelope again (that cost more than computing the figures). Readers validate
as usual (``CloudEvent.from_bytes`` and ``unwrap``); the unit tests check the two agree.

orjson writes the JSON (several times faster than the standard library's encoder; faust's
table changelogs use it too once it is installed). The worker's figures are sums and ratios
of validated, bounded quantities, so never NaN or infinite (which orjson would write as
null, and readers would then refuse)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from zw_shared.contracts.envelope import schema_urn
from zw_shared.contracts.registry import EventPayload


def envelope_bytes(
    payload_type: type[EventPayload],
    data: dict[str, Any],
    *,
    event_id: str,
    source: str,
    time: datetime,
    subject: str,
) -> bytes:
    event_type, version = payload_type.event_type, payload_type.version
    envelope = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "subject": subject,
        "time": _utc_iso(time),
        "datacontenttype": "application/json",
        "dataschema": schema_urn(event_type, version),
        "dataversion": version,
        "data": data,
    }
    return orjson.dumps(envelope)


@lru_cache(maxsize=4_096)
def _utc_iso(time: datetime) -> str:
    """An event's time as CloudEvents carry it; formatted once for the several records an
    event touches (equal aware datetimes are the same instant: the same UTC text)."""
    return time.astimezone(UTC).isoformat().replace("+00:00", "Z")
