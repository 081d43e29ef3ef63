"""A cluster of Apache Kafka brokers (KRaft) in containers, started by testcontainers.

Every node is a broker and a controller, and the controllers form one quorum of all nodes,
as in ``deploy/k8s/``. The nodes share a container network of their own: they reach each
other by their aliases (``kafka-1``, ``kafka-2``, ...) on an internal listener, and a client
on the host reaches each node on its own host port, which that node advertises. The
replication defaults are the production ones: replication factor 3, min in-sync replicas 2,
so a write acknowledged with ``acks=all`` survives one stopped broker.

Usage::

    with KafkaCluster() as cluster:
        admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap_servers)
        cluster.stop_broker(2)  # the others go on: 2 of 3 are in sync
        cluster.start_broker(2)
"""

from __future__ import annotations

import time
from types import TracebackType

from kafka import KafkaAdminClient
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from zw_shared.testing.kafka import KafkaBroker

# A KRaft cluster id: any base64 of 16 bytes, the same on every node of one cluster.
CLUSTER_ID = "zwScaleTestClusterId1A"
# Three JVMs on a small shared machine: small heaps, few threads.
SMALL_HEAP = "-Xms96m -Xmx256m"


class ClusterNode(KafkaBroker):
    """One node of a :class:`KafkaCluster`: the single broker of ``kafka.py`` (host port,
    readiness, stop and start keeping its data) with the cluster's listeners and quorum."""

    def __init__(
        self, node_id: int, size: int, network: Network, image: str | None, heap: str
    ) -> None:
        super().__init__(image)
        self.node_id = node_id
        alias = node_alias(node_id)
        self.with_network(network).with_network_aliases(alias)
        self.with_envs(
            CLUSTER_ID=CLUSTER_ID,
            KAFKA_NODE_ID=str(node_id),
            KAFKA_ADVERTISED_LISTENERS=(
                f"PLAINTEXT://127.0.0.1:{self.host_port},BROKER://{alias}:9094"
            ),
            KAFKA_CONTROLLER_QUORUM_VOTERS=quorum_voters(size),
            KAFKA_DEFAULT_REPLICATION_FACTOR=str(min(size, 3)),
            KAFKA_MIN_INSYNC_REPLICAS=str(min_insync(size)),
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=str(min(size, 3)),
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR=str(min(size, 3)),
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR=str(min_insync(size)),
            KAFKA_NUM_NETWORK_THREADS="2",
            KAFKA_NUM_IO_THREADS="2",
            KAFKA_HEAP_OPTS=heap,
            # C1 only: the C2 compiler's threads cost most of a start's CPU on a busy machine.
            KAFKA_JVM_OPTS="-XX:TieredStopAtLevel=1 -XX:ParallelGCThreads=1 -XX:ConcGCThreads=1",
        )

    def launch(self) -> int:
        """Starts the container without waiting (a node is ready only once a majority of the
        quorum runs); returns the Unix time to read its log from."""
        since = int(time.time()) - 1
        DockerContainer.start(self)
        return since


def _unfenced(brokers: list[dict[str, object]]) -> list[dict[str, object]]:
    return [broker for broker in brokers if not broker.get("is_fenced", False)]


def node_alias(node_id: int) -> str:
    return f"kafka-{node_id}"


def quorum_voters(size: int) -> str:
    return ",".join(f"{n}@{node_alias(n)}:9093" for n in range(1, size + 1))


def min_insync(size: int) -> int:
    """2 of 3 (one node may be down); 1 for a cluster too small to lose one."""
    return 2 if size >= 3 else 1


class KafkaCluster:
    def __init__(self, size: int = 3, image: str | None = None, heap: str = SMALL_HEAP) -> None:
        self.network = Network()
        self.size = size
        self._image = image
        self._heap = heap
        self.nodes: list[ClusterNode] = []
        self.started_in_s: float | None = None
        self._network_created = False

    @property
    def bootstrap_servers(self) -> str:
        """Every node's host address, comma separated (what clients take)."""
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def node(self, node_id: int) -> ClusterNode:
        return self.nodes[node_id - 1]

    def start(self, timeout_s: float = 180.0) -> KafkaCluster:
        began = time.monotonic()
        self.network.create()
        self._network_created = True
        self.nodes = [
            ClusterNode(n, self.size, self.network, self._image, self._heap)
            for n in range(1, self.size + 1)
        ]
        try:
            started = [(node, node.launch()) for node in self.nodes]
            for node, since in started:
                node.wait_until_ready(since, timeout_s)
            self._await_brokers(self.size, timeout_s)
        except BaseException:
            self.stop()
            raise
        self.started_in_s = time.monotonic() - began
        return self

    def stop_broker(self, node_id: int) -> None:
        """Stops one node (a controlled shutdown: its leaderships move to the others); the
        container keeps its data and host port for :meth:`start_broker`."""
        self.node(node_id).pause_broker()

    def start_broker(self, node_id: int, timeout_s: float = 180.0) -> None:
        self.node(node_id).resume_broker(timeout_s)
        self._await_brokers(self.size, timeout_s)

    def _await_brokers(self, count: int, timeout_s: float) -> None:
        """Waits until the cluster's metadata lists ``count`` brokers, none of them fenced
        (a restarted broker is fenced until it has caught up with the metadata log)."""
        deadline = time.monotonic() + timeout_s
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=5000)
        try:
            while len(_unfenced(admin.describe_cluster()["brokers"])) < count:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"fewer than {count} brokers after {timeout_s}s")
                time.sleep(0.2)
        finally:
            admin.close()

    def stop(self) -> None:
        """Removes this cluster's containers and network (and nothing else)."""
        try:
            for node in self.nodes:
                if node._container is not None:
                    node.stop()
        finally:
            if self._network_created:
                self.network.remove()
                self._network_created = False

    def __enter__(self) -> KafkaCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
