"""The test cluster's quorum and durability settings, as the Kubernetes manifests have them."""

from __future__ import annotations

from zw_shared.testing.kafka_cluster import min_insync, node_alias, quorum_voters


def test_every_node_of_three_is_a_voter_reached_by_its_alias() -> None:
    assert quorum_voters(3) == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    assert node_alias(2) == "kafka-2"


def test_three_nodes_need_two_in_sync_so_one_may_be_down() -> None:
    assert min_insync(3) == 2


def test_a_cluster_too_small_to_lose_a_node_needs_one_in_sync() -> None:
    assert min_insync(1) == 1
    assert min_insync(2) == 1
