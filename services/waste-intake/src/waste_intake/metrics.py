"""Prometheus metrics of waste-intake (served on /metrics by zw_shared.observability)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS = Counter(
    "waste_intake_events_total",
    "Waste-flow events by outcome (accepted, duplicate, conflict, rejected), the reason of a "
    "rejection and the type of the reporting facility",
    ["outcome", "reason", "facility_type"],
)
PUBLISH_LATENCY = Histogram(
    "waste_intake_publish_seconds",
    "Time from handing an event to the producer until the broker acknowledged it",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PUBLISH_FAILURES = Counter(
    "waste_intake_publish_failures_total", "Writes the broker did not acknowledge in time"
)
BATCH_SIZE = Histogram(
    "waste_intake_batch_size",
    "Items per batch request (JSON array, NDJSON or CSV)",
    ["format"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000),
)


def count(outcome: str, facility_type: str, reason: str = "") -> None:
    EVENTS.labels(outcome, reason, facility_type).inc()


UNREADABLE = Counter(
    "waste_intake_unreadable_records_total",
    "Records on the intake topics that could not be read (skipped by the API's views; "
    "dead-lettered by the worker)",
    ["topic"],
)
