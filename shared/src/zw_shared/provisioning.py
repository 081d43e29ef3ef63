"""Creates the registry's topics, idempotently, with kafka-python's admin client.

Run as a job at stack start (``zw-provision-topics``) and by the tests. A topic that exists
keeps its data: its configuration is brought in line with the registry and its partition
count raised if the registry asks for more (never lowered: Kafka cannot).

A topic with 3 replicas or more gets ``min.insync.replicas=2``: a write acknowledged with
``acks=all`` is then on at least two brokers, and one broker may be down without stopping
writes or losing an acknowledged record."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable

from kafka.admin import (
    ConfigResource,
    ConfigResourceType,
    KafkaAdminClient,
    NewPartitions,
    NewTopic,
)
from kafka.errors import InvalidPartitionsError, KafkaError, TopicAlreadyExistsError

from zw_shared.settings import KafkaSettings
from zw_shared.topics import TOPICS, TopicSpec

log = logging.getLogger(__name__)


def connect_admin(bootstrap_servers: str, wait_s: float = 60.0) -> KafkaAdminClient:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="zw-provision")
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("broker not reachable yet (%s); retrying", exc)
            time.sleep(1)


def ensure_topics(
    admin: KafkaAdminClient,
    prefix: str = "",
    replication_factor: int = 1,
    specs: Iterable[TopicSpec] = TOPICS,
) -> dict[str, str]:
    """Returns what was done per topic: ``created``, ``updated`` or ``unchanged``."""
    specs = list(specs)
    existing = set(admin.list_topics())
    outcome: dict[str, str] = {}
    for spec in specs:
        name = spec.full_name(prefix)
        if name not in existing:
            outcome[name] = _create(admin, spec, name, replication_factor)
        else:
            outcome[name] = _reconcile(admin, spec, name)
    _await_complete(admin, {spec.full_name(prefix): spec.partitions for spec in specs})
    return outcome


def _await_complete(
    admin: KafkaAdminClient, partitions: dict[str, int], wait_s: float = 30
) -> None:
    """Returns once every topic shows all its partitions in the metadata, so that whoever
    provisioned can produce at once (KRaft propagates new topics asynchronously)."""
    deadline = time.monotonic() + wait_s
    while True:
        described = admin.describe_topics(list(partitions))
        if all(
            t["error_code"] == 0 and len(t["partitions"]) >= partitions[t["name"]]
            for t in described
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not complete after {wait_s}s: {described}")
        time.sleep(0.1)


def durability_config(replication_factor: int) -> dict[str, str]:
    """The in-sync replicas an ``acks=all`` write needs, for a topic of that many replicas:
    2 from 3 replicas on (one broker may be down), else the broker's default."""
    return {"min.insync.replicas": "2"} if replication_factor >= 3 else {}


def wanted_config(spec: TopicSpec, replication_factor: int) -> dict[str, str]:
    return {**spec.config(), **durability_config(replication_factor)}


def _create(admin: KafkaAdminClient, spec: TopicSpec, name: str, replication: int) -> str:
    config = wanted_config(spec, replication)
    topic = NewTopic(name, spec.partitions, replication, topic_configs=config)
    try:
        admin.create_topics([topic])
    except TopicAlreadyExistsError:
        return _reconcile(admin, spec, name)
    return "created"


def _reconcile(admin: KafkaAdminClient, spec: TopicSpec, name: str) -> str:
    changed = False
    (described,) = admin.describe_topics([name])
    if len(described["partitions"]) < spec.partitions:
        try:
            admin.create_partitions({name: NewPartitions(spec.partitions)})
            changed = True
        except InvalidPartitionsError:
            log.info("%s already has its partitions (created concurrently)", name)
    # By the replicas the topic has, not those asked for: Kafka does not change them here.
    # A topic created concurrently may not show its partitions yet: its creator configures it.
    replicas = max((len(p["replica_nodes"]) for p in described["partitions"]), default=0)
    wanted = wanted_config(spec, replicas)
    if replicas and _current_config(admin, name, wanted) != wanted:
        # The broker judges the keys (kafka-python's own check refuses any key the broker
        # does not yet describe for the topic: all of them, for a topic just created by
        # another process, which CI saw stop a worker from starting).
        resource = ConfigResource(ConfigResourceType.TOPIC, name, configs=wanted)
        answer = admin.alter_configs([resource], raise_on_unknown=False)
        result = answer.get("topic", {}).get(name)
        if result == "OK":
            changed = True
        else:  # e.g. created concurrently, not known to this broker yet: its creator set it
            log.warning("could not configure %s: %s", name, result)
    return "updated" if changed else "unchanged"


def _current_config(admin: KafkaAdminClient, name: str, wanted: dict[str, str]) -> dict[str, str]:
    response = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    entries = response["topic"][name]
    return {key: entry["value"] for key, entry in entries.items() if key in wanted}


def main() -> None:
    """zw-provision-topics: create every topic of the registry (env: KAFKA_BOOTSTRAP_SERVERS,
    TOPIC_PREFIX, TOPIC_REPLICATION_FACTOR)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = KafkaSettings()
    admin = connect_admin(settings.kafka_bootstrap_servers)
    try:
        outcome = ensure_topics(admin, settings.topic_prefix, settings.topic_replication_factor)
    finally:
        admin.close()
    for name, what in sorted(outcome.items()):
        print(f"{what:9} {name}")
    sys.exit(0)
