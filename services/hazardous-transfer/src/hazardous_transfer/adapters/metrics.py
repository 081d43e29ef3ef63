"""Prometheus metrics of the transfer worker."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
COMMAND_BATCH_SIZE = Histogram(
    "hazardous_command_batch_size",
    "Commands decided together",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
DEADLINE_SWEEP_FAILURES = Counter(
    "hazardous_deadline_sweep_failures_total", "Deadline sweeps that recorded nothing"
)
