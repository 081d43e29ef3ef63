"""One active worker per province node; any other worker of the node is its standby.

faust's own assignor spreads a group's partitions over its workers. The node's worker
cannot be split that way: a command writes keys of other partitions than its own (a
manifest number from the prefecture's counter, the approval's ledger, the manifest), a
white-listed approval sums the node's approvals of the year, and the deadline sweep and the
searches read every record (services/hazardous-transfer/README.md, "Workers of a node").
This assignor gives EVERY partition of every topic to one member of the group, the active
worker, and standby copies of every changelog partition to each of the others: they keep
the node's tables up to date from the changelogs, and the one that takes over (when the
active worker stops or its session expires) reads only what it had not read yet (its store
knows the offset it has read up to: ``OffsetsMemoryStore`` in ``adapters/tables.py``).

Which member is active: one that held active partitions before (so a worker joining, or a
standby restarting, does not move the node); of two that both held them (a worker frozen
past its session, whose node a standby took over, joins again still claiming it) the one
that got them last; then the one that held the most standby partitions (its tables are
warm); then the lowest member id. Every member's previous
assignment, and when it last got active partitions (its clock: only the order of claims
at least a session timeout apart matters), come with its join request, so the group leader
alone decides.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, cast

import faust
from faust.assignor import PartitionAssignor
from faust.assignor.client_assignment import ClientAssignment, ClientMetadata


class OneActiveMetadata(ClientMetadata, namespace="@OneActiveMetadata"):
    """faust's join metadata, and when the member last got active partitions (``time.time()``;
    0 if never: also what a member running older code sends)."""

    active_since: float = 0.0


@dataclass(frozen=True)
class Held:
    """What a member held before this assignment (from its join request)."""

    actives: int
    standbys: int
    active_since: float = 0.0


def held_of(assignment: ClientAssignment | None, active_since: float = 0.0) -> Held:
    if assignment is None:
        return Held(0, 0)
    return Held(
        actives=sum(len(p) for p in (assignment.actives or {}).values()),
        standbys=sum(len(p) for p in (assignment.standbys or {}).values()),
        active_since=active_since,
    )


def choose_active(held: Mapping[str, Held]) -> str:
    """The member to hold every partition; the same on every leader for the same input."""
    if not held:
        raise ValueError("no member to assign partitions to")
    # a claim to active partitions first; of two claims the later (a member frozen past its
    # session claims what it held then, however many partitions that was)
    return min(
        held,
        key=lambda m: (
            held[m].actives == 0,
            -held[m].active_since,
            -held[m].actives,
            -held[m].standbys,
            m,
        ),
    )


def one_active_assignment(
    held: Mapping[str, Held],
    subscriptions: Mapping[str, list[str]],
    partitions: Mapping[str, list[int]],
    changelogs: set[str],
) -> dict[str, ClientAssignment]:
    """Every partition of every topic the active member subscribes to goes to it; every
    other member gets the changelogs' partitions as standbys."""
    active = choose_active(held)
    assignments: dict[str, ClientAssignment] = {}
    for member in held:
        topics = [t for t in subscriptions[member] if partitions.get(t)]
        if member == active:
            actives = {t: list(partitions[t]) for t in topics}
            assignments[member] = ClientAssignment(actives=actives, standbys={})
        else:
            standbys = {t: list(partitions[t]) for t in topics if t in changelogs}
            assignments[member] = ClientAssignment(actives={}, standbys=standbys)
    return assignments


class OneActiveAssignor(PartitionAssignor):
    _active_since = 0.0

    def on_assignment(self, assignment: Any) -> None:
        super().on_assignment(assignment)
        if self.assigned_actives():
            self._active_since = time.time()

    @property
    def _metadata(self) -> OneActiveMetadata:
        return OneActiveMetadata(
            assignment=self._assignment,
            url=str(self._url),
            changelog_distribution=self.changelog_distribution,
            external_topic_distribution=self.external_topic_distribution,
            topic_groups=self._topic_groups,
            active_since=self._active_since,
        )

    @classmethod
    def _get_client_metadata(cls, metadata: Any) -> OneActiveMetadata:
        return cast(OneActiveMetadata, OneActiveMetadata.loads(metadata.user_data))

    def _perform_assignment(self, cluster: Any, member_metadata: Mapping[str, Any]) -> Any:
        clients: MutableMapping[str, OneActiveMetadata] = {
            member: self._get_client_metadata(metadata)
            for member, metadata in member_metadata.items()
        }
        subscriptions = {
            member: list(metadata.subscription) for member, metadata in member_metadata.items()
        }
        self._update_member_urls(clients)
        topics = {topic for subscribed in subscriptions.values() for topic in subscribed}
        partitions = {t: sorted(cluster.partitions_for_topic(t) or ()) for t in topics}
        assignments = one_active_assignment(
            {m: held_of(c.assignment, c.active_since) for m, c in clients.items()},
            subscriptions,
            partitions,
            set(self._table_manager.changelog_topics),
        )
        # faust numbers groups of co-partitioned topics (its transactional ids use them)
        groups = self._get_copartitioned_groups(topics, cluster, subscriptions)
        topic_groups = {
            topic: group_id
            for group_id, (_, topic_sets) in enumerate(sorted(groups.items()))
            for subscribed in topic_sets
            for topic in subscribed
        }
        return self._protocol_assignments(
            assignments,
            self._get_changelog_distribution(assignments),
            self._get_external_topic_distribution(assignments),
            topic_groups,
        )


def is_active(app: faust.App) -> bool:
    """Whether this worker holds the node's partitions now (a standby holds none)."""
    assignor: Any = app.assignor
    return bool(assignor.assigned_actives())
