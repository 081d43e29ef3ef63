"""What provisioning asks of a topic's durability: with 3 replicas or more, an ``acks=all``
write needs 2 in-sync replicas, so one broker may be down without losing a write."""

from __future__ import annotations

from zw_shared.provisioning import durability_config, wanted_config
from zw_shared.topics import CELL_TOTALS, WASTE_FLOW_EVENTS


def test_a_topic_of_three_replicas_needs_two_in_sync() -> None:
    assert durability_config(3) == {"min.insync.replicas": "2"}


def test_a_topic_of_more_replicas_still_needs_two_in_sync() -> None:
    assert durability_config(5) == {"min.insync.replicas": "2"}


def test_a_topic_of_one_or_two_replicas_keeps_the_broker_default() -> None:
    assert durability_config(1) == {}
    assert durability_config(2) == {}


def test_the_wanted_config_keeps_the_registry_config_and_adds_durability() -> None:
    wanted = wanted_config(CELL_TOTALS, 3)

    assert wanted == {**CELL_TOTALS.config(), "min.insync.replicas": "2"}
    assert wanted["cleanup.policy"] == "compact"


def test_the_wanted_config_of_a_single_replica_topic_is_the_registry_config() -> None:
    assert wanted_config(WASTE_FLOW_EVENTS, 1) == WASTE_FLOW_EVENTS.config()
