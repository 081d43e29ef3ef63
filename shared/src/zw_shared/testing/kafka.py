"""A real Apache Kafka broker (KRaft, single node) in a container, started by testcontainers.

The image is ``KAFKA_IMAGE`` (default: the official ``apache/kafka`` image of the version
pinned in ``deploy/kafka/VERSION``); on machines without a registry ``.ci/run`` builds an
image of the same version offline under that name. It is configured with the official
image's environment variables, so either image behaves the same. The broker advertises a
host port chosen up front, which is how a client outside the container reaches it.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from kafka import KafkaAdminClient
from testcontainers.core.container import DockerContainer

KAFKA_VERSION = (Path(__file__).parents[4] / "deploy" / "kafka" / "VERSION").read_text().strip()
DEFAULT_IMAGE = f"docker.io/apache/kafka:{KAFKA_VERSION}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class KafkaBroker(DockerContainer):
    def __init__(self, image: str | None = None, host_port: int | None = None) -> None:
        super().__init__(image or os.environ.get("KAFKA_IMAGE", DEFAULT_IMAGE))
        self.host_port = host_port or free_port()
        # docker-py takes (host_ip, port): bind to loopback only, not to every interface.
        self.ports["9092/tcp"] = ("127.0.0.1", self.host_port)  # type: ignore[assignment]
        self.with_envs(
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            # Clients reach the broker on the host port; the broker reaches itself (transaction
            # markers, partition verification) on an internal listener that exists in the
            # container, never on the advertised host port, which does not.
            KAFKA_LISTENERS="PLAINTEXT://:9092,BROKER://:9094,CONTROLLER://:9093",
            KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://127.0.0.1:{self.host_port},BROKER://localhost:9094",
            KAFKA_INTER_BROKER_LISTENER_NAME="BROKER",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS="3",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
            KAFKA_AUTO_CREATE_TOPICS_ENABLE="false",
            KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS="3",
        )
        self.started_in_s: float | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.host_port}"

    def start(self, timeout_s: float = 90.0) -> KafkaBroker:
        began = time.monotonic()
        since = int(time.time()) - 1
        super().start()
        try:
            self.wait_until_ready(since, timeout_s)
        except BaseException:
            self.stop()  # a broker that never became ready must not outlive its test run
            raise
        self.started_in_s = time.monotonic() - began
        return self

    def wait_until_ready(self, since: int, timeout_s: float = 90.0) -> None:
        """Ready when the broker logged its start (after ``since``, a Unix time) and then
        answers an admin request on the host port. Polling the log first avoids the client
        library's own reconnect back-off, which would add seconds to every start."""
        deadline = time.monotonic() + timeout_s
        container = self.get_wrapped_container()
        while b"Kafka Server started" not in container.logs(since=since):
            if time.monotonic() > deadline:
                logs = container.logs(tail=40).decode(errors="replace")
                raise TimeoutError(f"Kafka not ready after {timeout_s}s:\n{logs}")
            time.sleep(0.1)
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=5000)
        admin.list_topics()
        admin.close()

    def pause_broker(self) -> None:
        """Stops the broker process (the container keeps its data and port)."""
        self.get_wrapped_container().stop(timeout=10)

    def resume_broker(self, timeout_s: float = 90.0) -> None:
        since = int(time.time())
        self.get_wrapped_container().start()
        self.wait_until_ready(since, timeout_s)
