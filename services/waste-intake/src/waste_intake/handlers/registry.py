"""Registering cells and facilities and issuing facility API keys (the admin use cases).

Each is published to its compacted topic with the broker's acknowledgement and then applied
to this process's registry view at once, so a facility can post right after it is created.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from waste_intake.domain.credentials import KEY_PREFIX, key_hash
from waste_intake.domain.facilities import check_facility
from waste_intake.domain.ledger import Location
from waste_intake.domain.registry import Registry
from waste_intake.handlers.outcomes import Rejected
from waste_intake.handlers.publishing import Publisher, publish
from zw_shared.contracts.registry import wrap
from zw_shared.contracts.waste import (
    CellRegistered,
    FacilityCredentialIssued,
    FacilityRegistered,
)

RegistryRecord = CellRegistered | FacilityRegistered | FacilityCredentialIssued


@dataclass(frozen=True)
class RegistryTopics:
    cells: str
    facilities: str
    credentials: str


@dataclass(frozen=True)
class IssuedKey:
    facility_id: str
    api_key: str
    location: Location


class RegistryHandler:
    def __init__(
        self,
        publisher: Publisher,
        topics: RegistryTopics,
        registry: Registry,
        clock: Callable[[], datetime],
    ) -> None:
        self._publisher = publisher
        self._topics = topics
        self._registry = registry
        self._clock = clock

    async def register_cell(self, cell: CellRegistered) -> Location:
        return await self._put(self._topics.cells, cell.cell_id, cell)

    async def register_facility(self, facility: FacilityRegistered) -> Location | Rejected:
        errors = check_facility(facility, self._registry)
        if errors:
            return Rejected(None, errors)
        return await self._put(self._topics.facilities, facility.facility_id, facility)

    async def issue_key(self, facility_id: str) -> IssuedKey | None:
        """A new key for a registered facility (its earlier key stops working)."""
        if facility_id not in self._registry.facilities:
            return None
        api_key = KEY_PREFIX + secrets.token_urlsafe(32)
        issued = FacilityCredentialIssued(
            facility_id=facility_id, key_sha256=key_hash(api_key), issued_at=self._clock()
        )
        location = await self._put(self._topics.credentials, facility_id, issued)
        return IssuedKey(facility_id, api_key, location)

    async def _put(self, topic: str, key: str, record: RegistryRecord) -> Location:
        envelope = wrap(
            record,
            event_id=f"{key}/{uuid.uuid4().hex}",
            source="/admin",
            time=self._clock(),
            subject=key,
        )
        location = await publish(self._publisher, topic, key, envelope)
        self._registry.apply(record, location)
        return location
