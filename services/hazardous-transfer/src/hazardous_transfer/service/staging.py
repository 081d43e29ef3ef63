"""A unit of work over the node's tables: a command's writes are staged and reach the
tables only after its events were acknowledged by the broker, so a failed publish leaves
the records as they were."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

_DELETED = object()


class Overlay(MutableMapping[str, Any]):
    def __init__(self, base: MutableMapping[str, Any]) -> None:
        self.base = base
        self.pending: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self.pending:
            value = self.pending[key]
            if value is _DELETED:
                raise KeyError(key)
            return value
        return self.base[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.pending[key] = value

    def __delitem__(self, key: str) -> None:
        self[key]  # raises KeyError when absent
        self.pending[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        seen = {k for k, v in self.pending.items() if v is not _DELETED}
        gone = {k for k, v in self.pending.items() if v is _DELETED}
        yield from seen
        yield from (k for k in self.base if k not in self.pending and k not in gone)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def commit(self) -> None:
        for key, value in self.pending.items():
            if value is _DELETED:
                self.base.pop(key, None)
            else:
                self.base[key] = value
        self.pending.clear()

    def rollback(self) -> None:
        self.pending.clear()

    def savepoint(self) -> dict[str, Any]:
        return dict(self.pending)

    def restore(self, savepoint: dict[str, Any]) -> None:
        self.pending = dict(savepoint)
