"""What a use case answers, whatever the entrypoint (single POST, batch item, CSV row)."""

from __future__ import annotations

from dataclasses import dataclass

from waste_intake.domain.errors import FieldError
from waste_intake.domain.ledger import Location


@dataclass(frozen=True)
class Accepted:
    event_id: str
    cloudevent_id: str
    location: Location
    duplicate: bool = False


@dataclass(frozen=True)
class Rejected:
    event_id: str | None
    errors: list[FieldError]

    @property
    def not_found(self) -> bool:
        return any(e.code == "unknown_event" for e in self.errors)

    @property
    def conflicting(self) -> bool:
        """The request is well-formed but the state forbids it (a voided flow)."""
        return any(e.code == "already_voided" for e in self.errors)


@dataclass(frozen=True)
class Conflict:
    event_id: str
    reason: str


Outcome = Accepted | Rejected | Conflict
