"""The worker's producer builds record batches of ScoringSettings.worker_producer_batch_bytes
(faust's default of 16 KiB held a batch of events' output to a few records per request)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from scoring.entrypoints.worker_app import create_worker_app
from scoring.settings import ScoringSettings


def _producer_config(settings: ScoringSettings) -> dict[str, object]:
    app = create_worker_app(settings)
    return dict(app.producer._settings_default())  # what its AIOKafkaProducer is made with


def test_the_producer_batches_half_a_mebibyte_by_default(tmp_path: Path) -> None:
    settings = ScoringSettings(worker_data_dir=str(tmp_path))

    assert _producer_config(settings)["max_batch_size"] == 512 * 1024


def test_the_batch_size_is_configurable(tmp_path: Path) -> None:
    settings = ScoringSettings(worker_data_dir=str(tmp_path), worker_producer_batch_bytes=65_536)

    assert _producer_config(settings)["max_batch_size"] == 65_536


@pytest.mark.parametrize("size", [1_000, 1_000_001])
def test_a_batch_size_below_faust_s_or_above_a_broker_message_is_refused(size: int) -> None:
    with pytest.raises(ValidationError, match="worker_producer_batch_bytes"):
        ScoringSettings(worker_producer_batch_bytes=size)
