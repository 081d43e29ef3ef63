from __future__ import annotations

import pytest
from pydantic import ValidationError

from zw_shared.contracts import event_types
from zw_shared.settings import KafkaSettings
from zw_shared.topics import TOPICS, Cleanup, by_name


def test_topic_names_are_unique_and_versioned() -> None:
    names = [spec.name for spec in TOPICS]
    assert len(names) == len(set(names))
    assert all(name.rsplit(".", 1)[-1].startswith("v") for name in names)


def test_compacted_topics_keep_the_latest_record_forever() -> None:
    for spec in TOPICS:
        if spec.cleanup is Cleanup.COMPACT:
            assert spec.config()["cleanup.policy"] == "compact"
            assert spec.retention_ms == -1


def test_every_event_type_a_topic_carries_is_registered() -> None:
    known = {info.event_type for info in event_types()}
    carried = {t for spec in TOPICS for t in spec.event_types}
    assert carried <= known


def test_a_prefix_goes_in_front_of_every_name() -> None:
    spec = by_name("waste.flow-events.v1")
    assert spec.full_name("test-42.") == "test-42.waste.flow-events.v1"
    assert KafkaSettings(topic_prefix="p.").topic(spec.name) == "p.waste.flow-events.v1"
    with pytest.raises(KeyError, match="no topic"):
        by_name("nope")


def test_production_refuses_unreplicated_topics() -> None:
    with pytest.raises(ValidationError, match="REPLICATION_FACTOR"):
        KafkaSettings(environment="production", topic_replication_factor=1)
    assert KafkaSettings(environment="production", topic_replication_factor=3)
