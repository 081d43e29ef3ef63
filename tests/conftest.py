"""Fixtures shared by every test. Integration and end-to-end tests get a real Apache Kafka
broker started by testcontainers (one per session) and their own topic prefix, so that no
two tests share a topic or a consumer group."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest

from zw_shared.testing.identities import use_test_secret

log = logging.getLogger("tests")
KINDS = ("unit", "integration", "e2e", "deployed")  # test folders, each its own marker

# Services started by the tests run outside development: they need a secret of their own,
# which they inherit from this process (and zw_shared.testing.identities signs with).
use_test_secret()

# What the session's broker was, for the summary at the end of the run.
_broker_facts: dict[str, str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked by its folder: tests/unit, tests/integration or tests/e2e."""
    for item in items:
        for kind in KINDS:
            if f"/tests/{kind}/" in str(item.path):
                item.add_marker(getattr(pytest.mark, kind))


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[object]:
    from zw_shared.testing.kafka import KafkaBroker

    broker = KafkaBroker()
    broker.start()
    log.warning(
        "Kafka container %s (%s) ready at %s in %.2fs",
        broker.get_wrapped_container().short_id,
        broker.image,
        broker.bootstrap_servers,
        broker.started_in_s,
    )
    _broker_facts.update(
        container=broker.get_wrapped_container().short_id,
        image=str(broker.image),
        bootstrap=str(broker.bootstrap_servers),
        started_in=f"{broker.started_in_s:.2f}s",
    )
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: object) -> str:
    return str(kafka_broker.bootstrap_servers)  # type: ignore[attr-defined]


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def provisioned_prefix(kafka_bootstrap: str, topic_prefix: str) -> str:
    """A fresh prefix with every topic of the registry created under it."""
    from zw_shared.provisioning import connect_admin, ensure_topics

    admin = connect_admin(kafka_bootstrap)
    try:
        ensure_topics(admin, topic_prefix)
    finally:
        admin.close()
    return topic_prefix


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Shows that the integration and end-to-end tests ran, and against which broker."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if report.when == "setup" and outcome == "passed":
                continue
            # the folder under tests/ (unit, integration, e2e, deployed, faults, hostile, ...)
            parts = report.nodeid.split("/")
            kind = parts[1] if len(parts) > 2 and parts[0] == "tests" else "other"
            counts.setdefault(kind, {}).setdefault(outcome, 0)
            counts[kind][outcome] += 1
    terminalreporter.section("what ran")
    for kind, by_outcome in sorted(counts.items()):
        line = ", ".join(f"{n} {outcome}" for outcome, n in sorted(by_outcome.items()))
        terminalreporter.write_line(f"{kind}: {line}")
    if _broker_facts:
        terminalreporter.write_line(
            "Kafka broker started by testcontainers: {image}, container {container}, "
            "at {bootstrap}, ready in {started_in}".format(**_broker_facts)
        )
    else:
        terminalreporter.write_line("no Kafka broker was started in this run")
