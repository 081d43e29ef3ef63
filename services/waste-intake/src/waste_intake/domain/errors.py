"""Why a report was refused, field by field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str
    code: str  # machine-readable: a metric label and the ``type`` of an HTTP error

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "code": self.code}
