"""A table store's changelog offsets: an acknowledgement counts only for a partition the
worker is active for, and a copy only goes forward.

The store is built without faust's service machinery (its offset bookkeeping needs none)."""

from __future__ import annotations

import pytest
from faust.types import TP

from zw_shared.adapters.faust_offsets import OffsetsMemoryStore

pytestmark = pytest.mark.unit


def a_store(active: set[int]) -> OffsetsMemoryStore:
    store = OffsetsMemoryStore.__new__(OffsetsMemoryStore)
    store._offsets, store._active = {}, active
    return store


def test_an_acknowledgement_for_a_partition_no_longer_active_here_is_not_taken() -> None:
    # the worker's write was acknowledged after a rebalance took partition 2 away (its keys
    # dropped): an offset would make faust's recovery skip the records before it
    store = a_store(active={1})

    store.set_persisted_offset(TP("app-totals-changelog", 1), 5)
    store.set_persisted_offset(TP("app-totals-changelog", 2), 7)

    assert store.persisted_offset(TP("app-totals-changelog", 1)) == 5
    assert store.persisted_offset(TP("app-totals-changelog", 2)) is None


def test_a_copy_only_goes_forward() -> None:
    store = a_store(active={0})
    tp = TP("app-totals-changelog", 0)

    store.advance(tp, 9)
    store.set_persisted_offset(tp, 4)  # an older batch's acknowledgement, late

    assert store.persisted_offset(tp) == 9
