"""A node's copy of the records that concern its provinces but are owned (decided) by
another node: folded from that node's events, each event once."""

from __future__ import annotations

from typing import cast

from hazardous_transfer.domain import application as app_state
from hazardous_transfer.domain import manifest as m_state
from hazardous_transfer.service.records import Records
from zw_shared.contracts.hazardous import (
    APPLICATION_EVENTS,
    ApplicationEvent,
    ManifestDrafted,
    ManifestEvent,
    TransferApplied,
    event_key,
)

TransferEvent = ApplicationEvent | ManifestEvent


class Replica:
    def __init__(self, records: Records, served: frozenset[str]) -> None:
        self.records = records
        self.served = served

    def concerns(self, event: TransferEvent) -> bool:
        """Owned elsewhere, and about one of our provinces."""
        return (
            event.origin_province not in self.served and event.destination_province in self.served
        )

    def apply(self, event: TransferEvent) -> bool:
        """True when the event changed the copy."""
        if not self.concerns(event):
            return False
        if isinstance(event, TransferApplied | ManifestDrafted):
            return self._start(event)
        if isinstance(event, APPLICATION_EVENTS):
            return self._application(cast(ApplicationEvent, event))
        return self._manifest(cast(ManifestEvent, event))

    def _start(self, event: TransferApplied | ManifestDrafted) -> bool:
        if isinstance(event, TransferApplied):
            if self.records.application(event.application_id) is not None:
                return False
            self.records.save_application(app_state.start(event, white_listed=False))
            return True
        if self.records.manifest(event.manifest_no) is not None:
            return False
        self.records.save_manifest(m_state.start(event))
        return True

    def _application(self, event: ApplicationEvent) -> bool:
        state = self.records.application(event.application_id)
        if state is None or event_key(event) in state.event_keys:
            return False
        self.records.save_application(app_state.evolve(state, event))
        return True

    def _manifest(self, event: ManifestEvent) -> bool:
        state = self.records.manifest(event.manifest_no)
        if state is None or event_key(event) in state.event_keys:
            return False
        self.records.save_manifest(m_state.evolve(state, event))
        return True
