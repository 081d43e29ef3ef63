"""Who may read a record: the parties named on it (shipper, carriers, receiver) and the
officials of the provinces it touches (origin, destination); nobody else."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hazardous_transfer.domain.acts import Role


@dataclass(frozen=True)
class Reader:
    actor_id: str
    role: Role
    province: str | None = None  # an official's

    def may_read(self, parties: Collection[str], provinces: Collection[str]) -> bool:
        if self.role is Role.OFFICIAL:
            return self.province in provinces
        return self.actor_id in parties

    def describe(self) -> str:
        where = f" of province {self.province}" if self.province else ""
        return f"{self.role.value} {self.actor_id!r}{where}"

    def search_scope(self) -> tuple[str | None, str | None]:
        """(party, province) every search of this reader is bound to."""
        if self.role is Role.OFFICIAL:
            return None, self.province
        return self.actor_id, None
