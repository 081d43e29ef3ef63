"""Prometheus metrics of the scoring worker (served on the worker's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

FLOW_EVENTS = Counter(
    "scoring_flow_events_total",
    "Waste-flow events applied, by outcome (counted, corrected, voided, or duplicate: seen "
    "before with the same facility and event id, and not counted again)",
    ["outcome"],
)
DEAD_LETTERS = Counter(
    "scoring_dead_letters_total", "Records sent to the scoring dead-letter topic", ["reason"]
)
UNREGISTERED_CELL_CHANGES = Counter(
    "scoring_unregistered_cell_changes_total",
    "Month changes of cells not (yet) in the cell registry: counted, but no score published",
)
MANIFEST_EVENTS = Counter(
    "scoring_manifest_events_total",
    "hazardous-transfer events read, by outcome (folded into a manifest, duplicate, unmapped: "
    "the shipper is not a registered facility yet, ignored: an application event)",
    ["outcome"],
)
MANIFEST_FACT_CHANGES = Counter(
    "scoring_manifest_fact_changes_total",
    "Manifest contributions applied to cell months, by outcome (facts_replaced, duplicate)",
    ["outcome"],
)
SCORES_DUE = Gauge(
    "scoring_scores_due",
    "(cell, period) scores changed by counted events and not yet published to the scores topic",
)
SCORES_PUBLISHED = Counter(
    "scoring_scores_published_total", "Scores published to the compacted scores topic"
)
REPAIRED_CELLS = Counter(
    "scoring_repaired_cells_total",
    "Cells whose totals or months, restored after a rebalance, differed from what their "
    "ledger entries add up to (a batch cut short by a crash) and were written again",
)
RECORDS_SENT_AGAIN = Counter(
    "scoring_records_sent_again_total",
    "Records of table changelogs, totals or months sent again because the broker did not "
    "take their record batch (refused, or not answered within the producer's request "
    "timeout)",
)
TABLE_RECORDS_RESTORED = Counter(
    "scoring_table_records_restored_total",
    "Changelog records read into the worker's tables (restoring the partitions it gained)",
)
TABLE_OFFSET = Gauge(
    "scoring_table_changelog_offset",
    "The last changelog offset the worker's copy of a table partition holds (its last "
    "acknowledged write, or the last record it restored)",
    ["table", "partition"],
)
