"""The one topic registry. Services, topic provisioning and the AsyncAPI document all read it.

Names carry a version suffix; a deployment (or a test) may put a prefix in front of every
name through the ``TOPIC_PREFIX`` setting, so that independent tests never share topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DAY_MS = 24 * 60 * 60 * 1000


class Cleanup(StrEnum):
    DELETE = "delete"
    COMPACT = "compact"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    owner: str
    partitions: int
    cleanup: Cleanup
    retention_ms: int  # -1: kept forever (the log is the source of truth)
    key: str  # what the record key is
    event_types: tuple[str, ...]  # CloudEvents types carried
    description: str

    def full_name(self, prefix: str = "") -> str:
        return f"{prefix}{self.name}"

    def config(self) -> dict[str, str]:
        cfg = {"cleanup.policy": self.cleanup.value, "retention.ms": str(self.retention_ms)}
        if self.cleanup is Cleanup.COMPACT:
            cfg["min.compaction.lag.ms"] = "0"
            cfg["segment.ms"] = str(DAY_MS)
        return cfg


WASTE_FLOW_EVENTS = TopicSpec(
    name="waste.flow-events.v1",
    owner="waste-intake",
    partitions=6,
    cleanup=Cleanup.DELETE,
    retention_ms=-1,
    key="cell_id",
    event_types=("waste.flow.recorded", "waste.flow.corrected", "waste.flow.voided"),
    description="Waste-flow events reported by facilities, accepted by waste-intake. "
    "Kept forever: scores are recomputed from the beginning of this log. Corrections and "
    "voids reference an earlier event of the same facility and cell.",
)
WASTE_CELLS = TopicSpec(
    name="waste.cells.v1",
    owner="waste-intake",
    partitions=3,
    cleanup=Cleanup.COMPACT,
    retention_ms=-1,
    key="cell_id",
    event_types=("waste.cell.registered",),
    description="Registry of zero-waste cells (compacted: the latest record is the cell).",
)
WASTE_FACILITIES = TopicSpec(
    name="waste.facilities.v1",
    owner="waste-intake",
    partitions=3,
    cleanup=Cleanup.COMPACT,
    retention_ms=-1,
    key="facility_id",
    event_types=("waste.facility.registered",),
    description="Registry of waste facilities, their licences and 名录 codes, and their cell "
    "(compacted: the latest record is the facility).",
)
WASTE_FACILITY_CREDENTIALS = TopicSpec(
    name="waste.facility-credentials.v1",
    owner="waste-intake",
    partitions=1,
    cleanup=Cleanup.COMPACT,
    retention_ms=-1,
    key="facility_id",
    event_types=("waste.facility.credential-issued",),
    description="SHA-256 of each facility's current API key (compacted; read by waste-intake "
    "only).",
)
WASTE_DEAD_LETTERS = TopicSpec(
    name="waste.dead-letters.v1",
    owner="waste-intake",
    partitions=1,
    cleanup=Cleanup.DELETE,
    retention_ms=30 * DAY_MS,
    key="original topic/partition/offset",
    event_types=(),
    description="Records on the waste topics that could not be read, with the reason in headers.",
)
HAZARDOUS_EVENTS = TopicSpec(
    name="hazardous.transfer-events.v1",
    owner="hazardous-transfer",
    partitions=6,
    cleanup=Cleanup.DELETE,
    retention_ms=-1,
    key="application id or manifest number",
    event_types=(
        "hazardous.application.applied",
        "hazardous.application.corrections-requested",
        "hazardous.application.resubmitted",
        "hazardous.application.accepted",
        "hazardous.application.consulted",
        "hazardous.application.answered",
        "hazardous.application.approved",
        "hazardous.application.refused",
        "hazardous.application.overdue",
        "hazardous.manifest.drafted",
        "hazardous.manifest.picked-up",
        "hazardous.manifest.handed-over",
        "hazardous.manifest.delivered",
        "hazardous.manifest.received",
        "hazardous.manifest.discrepancy-raised",
        "hazardous.manifest.processed",
        "hazardous.manifest.corrected",
        "hazardous.manifest.overdue",
        "hazardous.manifest.receipt-corrected",
    ),
    description="State changes of inter-provincial transfer applications and manifests "
    "(every province node's, each event naming its origin and destination provinces). "
    "Kept forever: manifests must be kept at least 10 years.",
)
HAZARDOUS_COMMANDS = TopicSpec(
    name="hazardous.commands.v1",
    owner="hazardous-transfer",
    partitions=6,
    cleanup=Cleanup.DELETE,
    retention_ms=7 * DAY_MS,
    key="application id or manifest number (the command's target)",
    event_types=("hazardous.command.issued",),
    description="Commands from a province node's API to the node that owns the record "
    "(the origin province's), which checks the rules and records the events.",
)
HAZARDOUS_COMMAND_RESULTS = TopicSpec(
    name="hazardous.command-results.v1",
    owner="hazardous-transfer",
    partitions=3,
    cleanup=Cleanup.DELETE,
    retention_ms=DAY_MS,
    key="node id of the API waiting for the verdict",
    event_types=("hazardous.command.answered", "hazardous.commands.answered"),
    description="The owner's verdict on each command (one record per command, or the "
    "verdicts of one batch for one node in one record), read by the API that sent it.",
)
HAZARDOUS_DEAD_LETTERS = TopicSpec(
    name="hazardous.dead-letters.v1",
    owner="hazardous-transfer",
    partitions=1,
    cleanup=Cleanup.DELETE,
    retention_ms=30 * DAY_MS,
    key="original topic/partition/offset",
    event_types=(),
    description="Records on the hazardous-transfer topics that could not be read.",
)
CELL_ASSESSMENTS = TopicSpec(
    name="scoring.cell-assessments.v1",
    owner="scoring",
    partitions=6,  # co-partitioned with the waste-flow topic: the worker joins them by cell
    cleanup=Cleanup.DELETE,
    retention_ms=-1,
    key="cell_id",
    event_types=("scoring.cell.assessed",),
    description="Inspections and satisfaction surveys of zero-waste cells, entered by "
    "officials through the scoring API. Kept forever: scores are recomputed from it.",
)
CELL_MONTH_FLOWS = TopicSpec(
    name="scoring.cell-month-flows.v1",
    owner="scoring",
    partitions=6,
    cleanup=Cleanup.COMPACT,
    retention_ms=-1,
    key="cell_id/period (e.g. cell-1/2026-11)",
    event_types=("scoring.cell-period-flows.updated",),
    description="A cell's flows in one month: kg and events per category and stage, counted "
    "facts and reports per day (compacted: the latest record is the month's state). Scores "
    "of months, quarters and years are computed from it.",
)
CELL_TOTALS = TopicSpec(
    name="scoring.cell-totals.v1",
    owner="scoring",
    partitions=6,
    cleanup=Cleanup.COMPACT,
    retention_ms=-1,
    key="cell_id",
    event_types=("scoring.cell-totals.updated",),
    description="Latest running totals per zero-waste cell (compacted: one record per cell).",
)
CELL_SCORES = TopicSpec(
    name="scoring.cell-scores.v1",
    owner="scoring",
    partitions=6,
    cleanup=Cleanup.COMPACT,
    retention_ms=-1,
    key="cell_id/period/system_id-vN (e.g. cell-1/2026-Q4/shanghai-cells-v1)",
    event_types=("scoring.cell-score.updated",),
    description="Latest score of each cell per period and indicator-system version, with "
    "its explanation (compacted: the latest record per key is the score).",
)
SCORING_MANIFEST_FACTS = TopicSpec(
    name="scoring.cell-manifest-facts.v1",
    owner="scoring",
    partitions=6,  # co-partitioned with the waste-flow topic: the worker joins them by cell
    cleanup=Cleanup.DELETE,
    retention_ms=-1,
    key="cell_id",
    event_types=("scoring.cell-manifest-facts.changed",),
    description="Scoring-internal repartition topic: what each hazardous-waste manifest "
    "contributes to its shipper's cell month, folded from hazardous.transfer-events.v1 "
    "(keyed by manifest number) and re-keyed by cell id. Replay recomputes it from the "
    "hazardous log.",
)
SCORING_DEAD_LETTERS = TopicSpec(
    name="scoring.dead-letters.v1",
    owner="scoring",
    partitions=1,
    cleanup=Cleanup.DELETE,
    retention_ms=30 * DAY_MS,
    key="original topic/partition/offset",
    event_types=(),
    description="Records scoring could not read, with the reason in headers.",
)

TOPICS: tuple[TopicSpec, ...] = (
    WASTE_FLOW_EVENTS,
    WASTE_CELLS,
    WASTE_FACILITIES,
    WASTE_FACILITY_CREDENTIALS,
    WASTE_DEAD_LETTERS,
    HAZARDOUS_EVENTS,
    HAZARDOUS_COMMANDS,
    HAZARDOUS_COMMAND_RESULTS,
    HAZARDOUS_DEAD_LETTERS,
    CELL_ASSESSMENTS,
    CELL_MONTH_FLOWS,
    CELL_TOTALS,
    CELL_SCORES,
    SCORING_DEAD_LETTERS,
    SCORING_MANIFEST_FACTS,
)


def by_name(name: str) -> TopicSpec:
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"no topic {name!r} in the registry")
