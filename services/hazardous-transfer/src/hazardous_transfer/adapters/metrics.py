"""Prometheus metrics of the transfer worker."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

TRANSITIONS = Counter(
    "hazardous_transitions_total", "Transfer events recorded or replicated", ["event_type"]
)
OVERDUE = Counter("hazardous_overdue_total", "Steps past their time limit", ["step"])
DISCREPANCIES = Counter("hazardous_discrepancies_total", "Manifest discrepancies", ["kind"])
COMMANDS = Counter(
    "hazardous_commands_total", "Commands handled by the owner node", ["command", "outcome"]
)
COMMAND_BATCH_SECONDS = Histogram(
    "hazardous_command_batch_seconds",
    "Time to decide a batch of commands, publish their events and answer them",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
COMMAND_WAIT_SECONDS = Histogram(
    "hazardous_command_wait_seconds",
    "Time from a command's write to the broker until the worker decides it",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEAD_LETTERS = Counter(
    "hazardous_worker_dead_letters_total", "Records the worker could not read", ["reason"]
)
REPLICATED = Counter(
    "hazardous_replicated_total", "Events of other nodes copied into this node", ["event_type"]
)
TABLE_RECORDS_RESTORED = Counter(
    "hazardous_table_records_restored_total",
    "Changelog records read into the worker's tables (restoring them, or copying them as a "
    "standby)",
)
COMMAND_BATCH_SIZE = Histogram(
    "hazardous_command_batch_size",
    "Commands decided together",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
DEADLINE_SWEEP_FAILURES = Counter(
    "hazardous_deadline_sweep_failures_total", "Deadline sweeps that recorded nothing"
)
VERDICTS_NOT_SENT = Counter(
    "hazardous_verdicts_not_sent_total",
    "Commands recorded whose verdicts could not be sent (their APIs answer 504; retried)",
)


class OverdueManifests(Collector):
    """Manifests this node owns (origin in its provinces) that are delivered, past their
    receipt time limit (an overdue event was recorded) and still not confirmed: counted from
    the worker's manifest table on each scrape, 0 for each served province without any. A
    standby worker (``documents`` gives None) reports none: the node's count is the active
    worker's, and a sum over a node's workers is not doubled."""

    def __init__(self) -> None:
        self.documents: Callable[[], Iterable[dict[str, Any]] | None] = tuple
        self.served: frozenset[str] = frozenset()

    def watch(
        self, documents: Callable[[], Iterable[dict[str, Any]] | None], served: frozenset[str]
    ) -> None:
        self.documents, self.served = documents, served

    def describe(self) -> list[GaugeMetricFamily]:
        return [_overdue_family({})]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        documents = self.documents()
        if documents is None:
            yield _overdue_family({})
            return
        counts = dict.fromkeys(sorted(self.served), 0)
        for doc in documents:
            if (
                doc["status"] == "delivered"
                and doc.get("overdue_steps")
                and doc["origin_province"] in counts
            ):
                counts[doc["origin_province"]] += 1
        yield _overdue_family(counts)


def _overdue_family(counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "hazardous_overdue_manifests",
        "Delivered manifests past their receipt time limit, not yet confirmed",
        labels=["origin_province"],
    )
    for province, count in counts.items():
        family.add_metric([province], count)
    return family


OVERDUE_MANIFESTS = OverdueManifests()
REGISTRY.register(OVERDUE_MANIFESTS)
