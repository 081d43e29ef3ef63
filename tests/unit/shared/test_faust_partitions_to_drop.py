"""What a worker keeps of its tables at a rebalance: every partition it still holds, except
those it was active for and is not any more (it wrote them: it copies them afresh)."""

from __future__ import annotations

import pytest

from zw_shared.adapters.faust_offsets import partitions_to_drop

pytestmark = pytest.mark.unit


def test_a_worker_that_keeps_its_partitions_drops_nothing() -> None:
    assert partitions_to_drop({0, 1, 2}, {0, 1, 2}, {3, 4, 5}, {0, 1, 2, 3, 4, 5}) == set()


def test_a_partition_given_to_another_worker_is_dropped_even_when_kept_as_standby() -> None:
    # a second worker joined: partitions 3 to 5 went to it, and came back here as standbys
    assert partitions_to_drop({0, 1, 2, 3, 4, 5}, {0, 1, 2}, {3, 4, 5}, {0, 1, 2, 3, 4, 5}) == {
        3,
        4,
        5,
    }


def test_a_standby_copy_taken_over_as_active_is_kept() -> None:
    # the other worker left: its partitions, copied here as standbys, are now this one's
    assert partitions_to_drop({0, 1, 2}, {0, 1, 2, 3, 4, 5}, set(), {0, 1, 2, 3, 4, 5}) == set()


def test_a_partition_no_longer_held_at_all_is_dropped() -> None:
    assert partitions_to_drop({0}, {0}, {1}, {0, 1, 2}) == {2}
    assert partitions_to_drop(set(), set(), {1}, {1, 2}) == {2}
