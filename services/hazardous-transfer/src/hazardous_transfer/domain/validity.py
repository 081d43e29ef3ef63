"""How long an approval is valid: 12 months (configurable) from the decision, never before
the requested period starts, never past its end or past the receiver's licence."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hazardous_transfer.domain.errors import InvalidCommand
from zw_shared.contracts.hazardous import ApplicationDetails


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def approval_validity(
    decided_on: date, details: ApplicationDetails, months: int
) -> tuple[date, date]:
    """First and last day (inclusive) on which the approval may be used."""
    valid_from = max(decided_on, details.requested_from)
    valid_until = min(
        add_months(decided_on, months) - timedelta(days=1),
        details.requested_until,
        details.receiver_licence.valid_until,
    )
    if valid_until < valid_from:
        raise InvalidCommand(
            f"an approval decided on {decided_on} would be valid for no day (until "
            f"{valid_until}: requested period or receiver licence ended): refuse it instead"
        )
    return valid_from, valid_until
