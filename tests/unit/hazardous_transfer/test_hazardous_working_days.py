"""Working-day time limits on China's official calendar, across the 2026 Spring Festival:
rest from Sun 15 Feb to Mon 23 Feb, with make-up workdays on Sat 14 Feb and Sat 28 Feb."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hazardous_transfer.domain.errors import CalendarYearUnknown
from hazardous_transfer.domain.working_days import WorkingDays, known_years

calendar = WorkingDays()


def test_a_make_up_saturday_is_a_workday_and_a_festival_weekday_is_not() -> None:
    assert calendar.is_workday(date(2026, 2, 14))  # Saturday, make-up workday
    assert calendar.is_workday(date(2026, 2, 28))  # Saturday, make-up workday
    assert not calendar.is_workday(date(2026, 2, 16))  # Monday, Spring Festival
    assert not calendar.is_workday(date(2026, 3, 7))  # ordinary Saturday


def test_five_working_days_from_friday_before_the_festival_skip_the_whole_holiday() -> None:
    # Fri 13 Feb -> Sat 14 (1, make-up) -> holiday 15-23 -> Tue 24 (2) ... Fri 27 (5)
    assert calendar.add(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_a_limit_running_into_the_make_up_saturday_counts_it() -> None:
    # Tue 24 Feb: Wed 25 (1), Thu 26 (2), Fri 27 (3), Sat 28 make-up (4), Mon 2 Mar (5)
    assert calendar.add(date(2026, 2, 24), 5) == date(2026, 3, 2)


def test_ten_working_days_started_on_a_holiday_begin_after_it() -> None:
    # from Wed 18 Feb (holiday): Tue 24 .. Fri 27 (4), Sat 28 (5), Mon 2 .. Fri 6 Mar (10)
    assert calendar.add(date(2026, 2, 18), 10) == date(2026, 3, 6)


def test_a_deadline_ends_at_midnight_beijing_time_after_its_last_working_day() -> None:
    started = datetime(2026, 2, 13, 9, 0, tzinfo=UTC)  # 17:00 in Beijing, Friday
    deadline = calendar.deadline(started, 5)
    assert deadline == datetime(2026, 2, 27, 16, 0, tzinfo=UTC)  # 28 Feb 00:00 +08:00
    assert not calendar.is_overdue(deadline, datetime(2026, 2, 27, 15, 59, tzinfo=UTC))
    assert calendar.is_overdue(deadline, deadline)


def test_the_start_day_counts_in_beijing_time_not_utc() -> None:
    late_evening_utc = datetime(2026, 2, 12, 20, 0, tzinfo=UTC)  # already Fri 13 in Beijing
    assert calendar.deadline(late_evening_utc, 5) == datetime(2026, 2, 27, 16, 0, tzinfo=UTC)


def test_a_year_the_calendar_does_not_know_is_a_clear_error() -> None:
    _first, last = known_years()
    with pytest.raises(CalendarYearUnknown, match=f"{last + 1} is not known"):
        calendar.add(date(last + 1, 3, 1), 5)
    with pytest.raises(CalendarYearUnknown, match="chinesecalendar"):
        calendar.add(date(last, 12, 28), 10)  # runs into the unknown year


def test_a_limit_is_at_least_one_working_day() -> None:
    with pytest.raises(ValueError, match="at least one"):
        calendar.add(date(2026, 3, 2), 0)


def test_another_calendar_can_be_supplied() -> None:
    every_day = WorkingDays(is_workday=lambda day: True)
    assert every_day.add(date(2026, 2, 13), 5) == date(2026, 2, 18)
