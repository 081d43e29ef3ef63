"""Who acts, when, under which command id: the common part of every command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hazardous_transfer.domain.errors import InvalidCommand, WrongParty

SYSTEM = "system"


class Role(StrEnum):
    SHIPPER = "shipper"
    CARRIER = "carrier"
    RECEIVER = "receiver"
    OFFICIAL = "official"  # a province's environment authority


@dataclass(frozen=True)
class Act:
    command_id: str
    actor_id: str
    role: Role
    at: datetime
    province: str | None = None  # the province an official acts for

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidCommand("the time of an act must carry a timezone offset")
        if self.role is Role.OFFICIAL and not self.province:
            raise InvalidCommand("an official acts for a province: name it")

    def must_be_party(self, role: Role, party_id: str, what: str) -> None:
        if self.role is not role or self.actor_id != party_id:
            raise WrongParty(f"{what} is for {role.value} {party_id!r}, not {self.describe()}")

    def must_be_official_of(self, province: str, what: str) -> None:
        if self.role is not Role.OFFICIAL or self.province != province:
            raise WrongParty(
                f"{what} is for an official of province {province}, not {self.describe()}"
            )

    def describe(self) -> str:
        where = f" of province {self.province}" if self.province else ""
        return f"{self.role.value} {self.actor_id!r}{where}"
