"""Scoring periods: calendar months, quarters and years (in the city's local time)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})|-Q(?P<quarter>[1-4]))?$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: PeriodKind
    index: int  # month 1-12, quarter 1-4, or 1 for a year

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        return _containing(kind, day.year, day.month)

    @classmethod
    def parse(cls, key: str) -> Period:
        """``2026-11`` (month), ``2026-Q4`` (quarter) or ``2026`` (year)."""
        return _parsed(key)

    # Periods are immutable: what is derived from one is computed once (cached_property
    # writes the instance's __dict__, which equality and hashing ignore).
    @cached_property
    def key(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    @cached_property
    def first_day(self) -> date:
        first_month = {PeriodKind.MONTH: self.index, PeriodKind.QUARTER: 3 * self.index - 2}
        return date(self.year, first_month.get(self.kind, 1), 1)

    @cached_property
    def last_day(self) -> date:
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]
        first = self.first_day
        month_after = first.month - 1 + months
        return date(first.year + month_after // 12, month_after % 12 + 1, 1) - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def days_elapsed(self, as_of: date) -> int:
        """Days of the period up to and including ``as_of`` (all of them once it is over)."""
        if as_of < self.first_day:
            return 0
        return (min(as_of, self.last_day) - self.first_day).days + 1

    def months(self) -> tuple[Period, ...]:
        """The months the period is made of (a month: itself)."""
        return self._months

    @cached_property
    def _months(self) -> tuple[Period, ...]:
        first = self.first_day.month
        count = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]
        return tuple(
            _containing(PeriodKind.MONTH, self.year, m) for m in range(first, first + count)
        )

    def __str__(self) -> str:
        return self.key


@lru_cache(maxsize=4096)
def _parsed(key: str) -> Period:
    """Parsed once per key (every state read names its period; a malformed key is not
    cached, and is refused each time)."""
    match = _KEY.match(key)
    if match is None or (match["month"] and not 1 <= int(match["month"]) <= 12):
        raise ValueError(f"{key!r} is not a period: use 2026-11, 2026-Q4 or 2026")
    year = int(match["year"])
    if match["month"]:
        return _containing(PeriodKind.MONTH, year, int(match["month"]))
    if match["quarter"]:  # the quarter its last month is in
        return _containing(PeriodKind.QUARTER, year, 3 * int(match["quarter"]))
    return _containing(PeriodKind.YEAR, year, 1)


@lru_cache(maxsize=4096)
def _containing(kind: PeriodKind, year: int, month: int) -> Period:
    """The one Period of each kind a month is in (shared: so are its cached properties)."""
    if kind is PeriodKind.MONTH:
        return Period(year, kind, month)
    if kind is PeriodKind.QUARTER:
        return Period(year, kind, (month - 1) // 3 + 1)
    return Period(year, kind, 1)


def periods_of(moment: datetime, zone: ZoneInfo) -> tuple[Period, ...]:
    """The month, quarter and year a moment belongs to, by the local calendar of ``zone``."""
    day = moment.astimezone(zone).date()
    return tuple(Period.containing(kind, day) for kind in PeriodKind)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
