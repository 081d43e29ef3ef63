"""Working-day deadlines on China's official calendar: weekends are rest days unless the State
Council made them make-up workdays (调休), and public holidays are rest days.

The calendar data come from the ``chinesecalendar`` package, which knows the years the State
Council has announced; a date outside them raises :class:`CalendarYearUnknown` rather than
guessing (a wrong deadline is worse than none: upgrade the package once the year is out).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from hazardous_transfer.domain.errors import CalendarYearUnknown

# Statutory time limits run on Beijing time, wherever the server is.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

IsWorkday = Callable[[date], bool]


def _official_is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarYearUnknown(day.year, *known_years()) from None


def known_years() -> tuple[int, int]:
    """First and last year the installed calendar data cover."""
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


class WorkingDays:
    """Adds working days to a date; ``is_workday`` is the official calendar unless a test
    or another jurisdiction supplies its own."""

    def __init__(self, is_workday: IsWorkday = _official_is_workday) -> None:
        self._is_workday = is_workday

    def is_workday(self, day: date) -> bool:
        return self._is_workday(day)

    def add(self, start: date, working_days: int) -> date:
        """The date on which a limit of ``working_days`` that starts on ``start`` ends: the
        start day itself is not counted (a 5-day limit from a Friday ends on the 5th working
        day after it)."""
        if working_days < 1:
            raise ValueError("a time limit is at least one working day")
        day, counted = start, 0
        while counted < working_days:
            day += timedelta(days=1)
            if self._is_workday(day):
                counted += 1
        return day

    def deadline(self, started_at: datetime, working_days: int) -> datetime:
        """The instant a limit expires: the end of its last working day, Beijing time
        (returned in UTC). An act at any moment before it is in time."""
        return self.deadline_from_day(started_at.astimezone(CHINA_TZ).date(), working_days)

    def deadline_from_day(self, start_day: date, working_days: int) -> datetime:
        """As :meth:`deadline`, for a limit that starts on a (Beijing) calendar day."""
        last_day = self.add(start_day, working_days)
        end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=CHINA_TZ)
        return end.astimezone(UTC)

    def is_overdue(self, deadline: datetime, now: datetime) -> bool:
        return now >= deadline
