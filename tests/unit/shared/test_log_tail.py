"""A failed fault test's report of a service log: notable lines, repeats folded, so that a
flood of one error does not hide what came before it."""

from __future__ import annotations

import pytest

from zw_shared.testing.log_tail import notable

pytestmark = pytest.mark.unit

FLOOD = [
    line
    for n in range(500)
    for line in (
        f"[2026-11-25 05:14:45,{n % 1000:03d}] [14461] [ERROR] Unable connect to node with id 1",
        f"[2026-11-25 05:14:45,{n % 1000:03d}] [14461] [ERROR] Unable to update metadata from [1]",
    )
]


def test_a_flood_is_folded_and_what_came_before_stays_in_view() -> None:
    lines = [
        "2026-11-25 05:14:40,001 INFO starting",
        "2026-11-25 05:14:44,100 WARNING the broker is away: sending 3 batches again",
        *FLOOD,
        "2026-11-25 05:15:25,559 ERROR Unable connect to node with id 1: ",
    ]

    shown = notable(lines, shown=4)

    assert shown == [
        "2026-11-25 05:14:44,100 WARNING the broker is away: sending 3 batches again",
        "[2026-11-25 05:14:45,499] [14461] [ERROR] Unable connect to node with id 1"
        "  [x500 since 05:14:45,000]",
        "[2026-11-25 05:14:45,499] [14461] [ERROR] Unable to update metadata from [1]"
        "  [x500 since 05:14:45,000]",
        "2026-11-25 05:15:25,559 ERROR Unable connect to node with id 1: ",
    ]


def test_order_is_by_last_occurrence_and_plain_lines_are_left_out() -> None:
    lines = [
        "[2026-11-25 06:00:00,000] [1] [WARNING] A",
        "[2026-11-25 06:00:01,000] [1] [INFO] not shown",
        "[2026-11-25 06:00:02,000] [1] [WARNING] B",
        "[2026-11-25 06:00:03,000] [1] [WARNING] A",
        "Traceback (most recent call last):",
    ]

    assert notable(lines) == [
        "[2026-11-25 06:00:02,000] [1] [WARNING] B",
        "[2026-11-25 06:00:03,000] [1] [WARNING] A  [x2 since 06:00:00,000]",
        "Traceback (most recent call last):",
    ]


def test_a_quiet_log_shows_nothing() -> None:
    assert notable(["2026-11-25 05:14:40,001 INFO starting"]) == []
