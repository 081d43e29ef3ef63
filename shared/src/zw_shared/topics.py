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
    event_types=("waste.flow.recorded",),
    description="Waste-flow events reported by facilities, accepted by waste-intake. "
    "Kept forever: scores are recomputed from the beginning of this log.",
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
    key="application or manifest id",
    event_types=(),
    description="State changes of inter-provincial transfer applications and manifests.",
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
    WASTE_DEAD_LETTERS,
    HAZARDOUS_EVENTS,
    HAZARDOUS_DEAD_LETTERS,
    CELL_TOTALS,
    SCORING_DEAD_LETTERS,
)


def by_name(name: str) -> TopicSpec:
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"no topic {name!r} in the registry")
