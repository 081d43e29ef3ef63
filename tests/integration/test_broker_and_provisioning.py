from __future__ import annotations

import time

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.topics import CELL_TOTALS, TOPICS, WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration


def test_provisioning_creates_every_registry_topic_then_changes_nothing(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    admin = connect_admin(kafka_bootstrap)
    first = ensure_topics(admin, topic_prefix)
    second = ensure_topics(admin, topic_prefix)
    admin.close()

    names = {spec.full_name(topic_prefix) for spec in TOPICS}
    assert first == dict.fromkeys(names, "created")
    assert second == dict.fromkeys(names, "unchanged")


def test_provisioned_topics_have_the_registry_partitions_and_cleanup_policy(
    kafka_bootstrap: str, provisioned_prefix: str
) -> None:
    admin = connect_admin(kafka_bootstrap)
    scores = CELL_TOTALS.full_name(provisioned_prefix)
    flows = WASTE_FLOW_EVENTS.full_name(provisioned_prefix)
    (described,) = admin.describe_topics([flows])
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, scores)])
    admin.close()

    assert len(described["partitions"]) == WASTE_FLOW_EVENTS.partitions
    assert configs["topic"][scores]["cleanup.policy"]["value"] == "compact"


def test_provisioning_raises_partitions_and_restores_drifted_config(
    kafka_bootstrap: str, provisioned_prefix: str
) -> None:
    admin = connect_admin(kafka_bootstrap)
    scores = CELL_TOTALS.full_name(provisioned_prefix)
    admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, scores, configs={"cleanup.policy": "delete"})]
    )
    # KRaft applies a config change asynchronously: the drift is there once the broker
    # describes it (CI once ran provisioning before it was, and found nothing to restore)
    assert policy_becomes(admin, scores, "delete"), "the altered config never showed"
    outcome = ensure_topics(admin, provisioned_prefix, specs=[CELL_TOTALS])
    restored = policy_becomes(admin, scores, "compact")
    admin.close()

    assert outcome == {scores: "updated"}
    assert restored, "the registry's cleanup policy is not back"


def test_a_topic_made_elsewhere_without_the_registry_config_gets_it(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    # the topic exists and none of the registry's keys is set on it (near what a worker
    # meets when another created the topic a moment before, which this does not reproduce:
    # there the broker did not describe the topic's keys yet)
    admin = connect_admin(kafka_bootstrap)
    totals = CELL_TOTALS.full_name(topic_prefix)
    admin.create_topics([NewTopic(totals, CELL_TOTALS.partitions, 1)])
    outcome = ensure_topics(admin, topic_prefix, specs=[CELL_TOTALS])
    configured = policy_becomes(admin, totals, "compact")
    admin.close()

    assert outcome == {totals: "updated"}
    assert configured, "the registry's cleanup policy was not set"


def policy_becomes(admin: KafkaAdminClient, topic: str, wanted: str, wait_s: float = 30) -> bool:
    deadline = time.monotonic() + wait_s
    while cleanup_policy(admin, topic) != wanted:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def cleanup_policy(admin: KafkaAdminClient, topic: str) -> str:
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    return str(configs["topic"][topic]["cleanup.policy"]["value"])
