"""Creates the worker's table changelog topics before faust starts.

faust creates them itself, but on a fresh application id its consumer can join the group
before the new topics' partitions appear in its metadata; the first table write then fails
with ``PartitionsMismatch`` (changelog "has 0 partitions"). Created here first, with the
source topic's partition count and compaction, and waited for until every partition has a
leader, they are complete by the time the worker joins."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from zw_shared.provisioning import connect_admin

log = logging.getLogger(__name__)


def ensure_changelog_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    partitions: int,
    replication_factor: int,
    wait_s: float,
) -> None:
    admin = connect_admin(bootstrap_servers, wait_s)
    try:
        wanted = sorted(set(names))
        missing = [name for name in wanted if name not in set(admin.list_topics())]
        for name in missing:
            _create(admin, name, partitions, replication_factor)
        _wait_for_leaders(admin, wanted, partitions, wait_s)
    finally:
        admin.close()


def _create(admin: KafkaAdminClient, name: str, partitions: int, replication: int) -> None:
    topic = NewTopic(name, partitions, replication, topic_configs={"cleanup.policy": "compact"})
    try:
        admin.create_topics([topic])
        log.info("created changelog topic %s (%d partitions)", name, partitions)
    except TopicAlreadyExistsError:
        pass


def _wait_for_leaders(
    admin: KafkaAdminClient, names: list[str], partitions: int, wait_s: float
) -> None:
    deadline = time.monotonic() + wait_s
    while not _all_led(admin, names, partitions):
        if time.monotonic() > deadline:
            raise TimeoutError(f"changelog topics {names} have no leaders after {wait_s}s")
        time.sleep(0.1)


def _all_led(admin: KafkaAdminClient, names: list[str], partitions: int) -> bool:
    described = admin.describe_topics(names)
    return all(
        topic["error_code"] == 0
        and len(topic["partitions"]) >= partitions
        and all(p["leader_id"] >= 0 for p in topic["partitions"])
        for topic in described
    )
