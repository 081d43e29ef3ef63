"""What the intake has accepted: every event id it has seen (for idempotency), and each
reported flow with its corrections and void (for the query API).

A pure in-memory projection of the flow topic: an adapter replays the topic into it at
start-up and keeps it current, so idempotency survives a restart of the API.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from zw_shared.contracts.waste import WasteFlowCorrected, WasteFlowRecorded, WasteFlowVoided

FlowEvent = WasteFlowRecorded | WasteFlowCorrected | WasteFlowVoided
FlowContent = WasteFlowRecorded | WasteFlowCorrected


@dataclass(frozen=True)
class Location:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Seen:
    fingerprint: str
    location: Location


def fingerprint(event: FlowEvent) -> str:
    """Digest of the event's type and content: equal for a repeat of the same report. The
    model's JSON lists the fields in their declared order, so equal content gives equal
    bytes (an event read back and upcast gets the same defaults a new report would)."""
    digest = hashlib.sha256(event.event_type.encode() + b"\n")
    digest.update(event.model_dump_json().encode())
    return digest.hexdigest()


@dataclass
class FlowHistory:
    """One reported flow: the original, then its corrections and void in order."""

    versions: list[tuple[FlowEvent, Location]] = field(default_factory=list)

    @property
    def original(self) -> WasteFlowRecorded:
        first = self.versions[0][0]
        assert isinstance(first, WasteFlowRecorded)
        return first

    @property
    def current(self) -> FlowContent:
        contents = [e for e, _ in self.versions if not isinstance(e, WasteFlowVoided)]
        return contents[-1]

    @property
    def voided(self) -> bool:
        return any(isinstance(e, WasteFlowVoided) for e, _ in self.versions)


class Ledger:
    def __init__(self) -> None:
        self._seen: dict[str, Seen] = {}
        self._histories: dict[str, FlowHistory] = {}
        self._root_of: dict[str, str] = {}
        self._by_facility: dict[str, list[str]] = defaultdict(list)
        self._locations: set[Location] = set()

    def __len__(self) -> int:
        return len(self._seen)

    def holds(self, location: Location) -> bool:
        """True when the record at ``location`` was applied (e.g. this process's own write,
        applied on acknowledgement): the topic reader skips it without parsing it."""
        return location in self._locations

    def lookup(self, key: str) -> Seen | None:
        return self._seen.get(key)

    def history(self, key: str) -> FlowHistory | None:
        """The flow an event id belongs to (the original's, a correction's or a void's)."""
        root = self._root_of.get(key)
        return None if root is None else self._histories.get(root)

    def apply(self, event: FlowEvent, location: Location) -> None:
        """Idempotent: an event already seen changes nothing."""
        key = event.dedup_key
        if key in self._seen:
            return
        self._seen[key] = Seen(fingerprint(event), location)
        self._locations.add(location)
        if isinstance(event, WasteFlowRecorded):
            self._start(key, event, location)
        else:
            self._append(key, event, location)

    def _start(self, key: str, event: WasteFlowRecorded, location: Location) -> None:
        self._histories[key] = FlowHistory([(event, location)])
        self._root_of[key] = key
        self._by_facility[event.facility_id].append(key)

    def _append(
        self, key: str, event: WasteFlowCorrected | WasteFlowVoided, location: Location
    ) -> None:
        target = event.corrects_key if isinstance(event, WasteFlowCorrected) else event.voids_key
        root = self._root_of.get(target)
        if root is None:  # the intake refuses these; one written by hand is ignored here
            return
        self._root_of[key] = root
        self._histories[root].versions.append((event, location))

    def recent(self, facility_id: str, limit: int) -> list[FlowHistory]:
        """The facility's flows, most recently reported first."""
        keys = self._by_facility.get(facility_id, [])
        return [self._histories[k] for k in reversed(keys[-limit:])] if limit > 0 else []

    def flows_of(self, facility_id: str) -> list[FlowHistory]:
        return [self._histories[k] for k in self._by_facility.get(facility_id, [])]
