"""The worker's garbage-collector tuning (see ScoringSettings.worker_gc_young_threshold)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from scoring.entrypoints.worker import tune_garbage_collector
from scoring.settings import ScoringSettings


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


@pytest.mark.usefixtures("restored_gc")
def test_the_young_generation_is_collected_less_often_and_start_up_objects_are_frozen() -> None:
    gc.unfreeze()
    _, middle, old = gc.get_threshold()
    made_at_start_up = [object() for _ in range(10)]

    tune_garbage_collector(50_000)

    assert gc.get_threshold() == (50_000, middle, old)
    assert gc.get_freeze_count() >= len(made_at_start_up)


def test_the_default_threshold_is_the_measured_one_and_a_tiny_one_is_refused() -> None:
    assert ScoringSettings().worker_gc_young_threshold == 50_000
    with pytest.raises(ValidationError, match="worker_gc_young_threshold"):
        ScoringSettings(worker_gc_young_threshold=10)
