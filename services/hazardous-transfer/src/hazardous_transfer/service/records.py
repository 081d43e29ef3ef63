"""Where a node keeps its records. The worker keeps them in faust tables (changelogged in
Kafka); unit tests use :class:`InMemoryRecords`. Values are stored as JSON-ready dicts, so
any dict-like store works."""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from hazardous_transfer.domain.application import Application
from hazardous_transfer.domain.approval_ledger import ApprovalLedger
from hazardous_transfer.domain.manifest import Manifest

Table = MutableMapping[str, Any]
Document = dict[str, Any]


class Records:
    def __init__(
        self,
        applications: Table,
        manifests: Table,
        ledgers: Table,
        counters: Table,
    ) -> None:
        self._applications = applications
        self._manifests = manifests
        self._ledgers = ledgers
        # serial counters by prefecture and year, and draft command id -> manifest number
        self._counters = counters

    def application(self, application_id: str) -> Application | None:
        raw = self._applications.get(application_id)
        return None if raw is None else Application.model_validate(raw)

    def save_application(self, state: Application) -> None:
        self._applications[state.application_id] = state.model_dump(mode="json")

    def manifest(self, manifest_no: str) -> Manifest | None:
        raw = self._manifests.get(manifest_no)
        return None if raw is None else Manifest.model_validate(raw)

    def save_manifest(self, state: Manifest) -> None:
        self._manifests[state.manifest_no] = state.model_dump(mode="json")

    def ledger(self, approval_id: str) -> ApprovalLedger | None:
        raw = self._ledgers.get(approval_id)
        return None if raw is None else ApprovalLedger.model_validate(raw)

    def save_ledger(self, ledger: ApprovalLedger) -> None:
        self._ledgers[ledger.approval.approval_id] = ledger.model_dump(mode="json")

    def last_serial(self, counter_key: str) -> int:
        return int(self._counters.get(f"serial:{counter_key}", 0))

    def save_serial(self, counter_key: str, serial: int) -> None:
        self._counters[f"serial:{counter_key}"] = serial

    def drafted_by(self, command_id: str) -> str | None:
        value = self._counters.get(f"draft:{command_id}")
        return None if value is None else str(value)

    def remember_draft(self, command_id: str, manifest_no: str) -> None:
        self._counters[f"draft:{command_id}"] = manifest_no

    def all_applications(self) -> list[Application]:
        return self.applications_where(lambda raw: True)

    def all_manifests(self) -> list[Manifest]:
        return self.manifests_where(lambda raw: True)

    def applications_where(self, keep: Callable[[Document], bool]) -> list[Application]:
        """The applications whose stored document ``keep`` selects (checked before the
        document is validated: a sweep over closed records costs little)."""
        return [Application.model_validate(r) for r in self._applications.values() if keep(r)]

    def manifests_where(self, keep: Callable[[Document], bool]) -> list[Manifest]:
        return [Manifest.model_validate(r) for r in self._manifests.values() if keep(r)]

    def application_document(self, application_id: str) -> Document | None:
        return self._applications.get(application_id)

    def manifest_document(self, manifest_no: str) -> Document | None:
        return self._manifests.get(manifest_no)

    def application_documents(self) -> Iterable[Document]:
        return self._applications.values()

    def manifest_documents(self) -> Iterable[Document]:
        return self._manifests.values()


def in_memory_records() -> Records:
    return Records({}, {}, {}, {})
