"""Manifest numbers: 14 digits = year (4) + origin province (2) + origin prefecture (2) +
serial (6) per prefecture and year, unique and gap-free: a serial is taken only together
with the manifest that uses it (the counter and the draft are recorded as one step)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hazardous_transfer.domain.errors import InvalidCommand, SerialExhausted

MAX_SERIAL = 999_999
NUMBER = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{6})$")


@dataclass(frozen=True)
class ManifestNumber:
    year: int
    province: str
    prefecture: str
    serial: int

    def __str__(self) -> str:
        return f"{self.year:04d}{self.province}{self.prefecture}{self.serial:06d}"

    @property
    def counter_key(self) -> str:
        return counter_key(self.year, self.province, self.prefecture)

    @classmethod
    def parse(cls, raw: str) -> ManifestNumber:
        match = NUMBER.match(raw)
        if match is None or int(match.group(4)) == 0:
            raise InvalidCommand(f"manifest number {raw!r} is not 14 digits with a serial >= 1")
        year, province, prefecture, serial = match.groups()
        return cls(int(year), province, prefecture, int(serial))


def counter_key(year: int, province: str, prefecture: str) -> str:
    """The key of the serial counter a number is drawn from."""
    return f"{year:04d}{province}{prefecture}"


def next_number(last_serial: int, year: int, province: str, prefecture: str) -> ManifestNumber:
    """The number after ``last_serial`` (0 when the prefecture has none this year)."""
    if last_serial >= MAX_SERIAL:
        raise SerialExhausted(
            f"prefecture {province}{prefecture} has used every serial of {year} ({MAX_SERIAL})"
        )
    return ManifestNumber(year, province, prefecture, last_serial + 1)
