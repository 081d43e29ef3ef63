"""One active worker per province node; any other worker of the node is its standby.

faust's own assignor spreads a group's partitions over its workers. The node's worker
cannot be split that way: a command writes keys of other partitions than its own (a
manifest number from the prefecture's counter, the approval's ledger, the manifest), a
white-listed approval sums the node's approvals of the year, and the deadline sweep and the
searches read every record (services/hazardous-transfer/README.md, "Workers of a node").
This assignor gives EVERY partition of every topic to one member of the group, the active
worker, and nothing to the others: they are running, joined processes that take the node
over when the active worker leaves the group (stops, or its session expires).

They keep no standby copies of the tables: faust's memory store keeps no changelog offsets,
so a worker taking partitions over reads their changelogs from the start whether it held
copies or not; copies would cost the standbys memory and CPU and save nothing.

Which member is active: the one that held the most partitions before (so a worker joining,
or a standby restarting, does not move the node), then the lowest member id. Every member's
previous assignment comes with its join request, so the group leader alone decides.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import faust
from faust.assignor import PartitionAssignor
from faust.assignor.client_assignment import ClientAssignment, ClientMetadata


def held_of(assignment: ClientAssignment | None) -> int:
    """How many partitions a member held before this assignment (from its join request)."""
    if assignment is None:
        return 0
    return sum(len(partitions) for partitions in (assignment.actives or {}).values())


def choose_active(held: Mapping[str, int]) -> str:
    """The member to hold every partition; the same on every leader for the same input."""
    if not held:
        raise ValueError("no member to assign partitions to")
    return min(held, key=lambda member: (-held[member], member))


def one_active_assignment(
    held: Mapping[str, int],
    subscriptions: Mapping[str, list[str]],
    partitions: Mapping[str, list[int]],
) -> dict[str, ClientAssignment]:
    """Every partition of every topic the active member subscribes to goes to it; the other
    members get none."""
    active = choose_active(held)
    assignments: dict[str, ClientAssignment] = {}
    for member in held:
        topics = [t for t in subscriptions[member] if partitions.get(t)] if member == active else []
        assignments[member] = ClientAssignment(
            actives={t: list(partitions[t]) for t in topics}, standbys={}
        )
    return assignments


class OneActiveAssignor(PartitionAssignor):
    def _perform_assignment(self, cluster: Any, member_metadata: Mapping[str, Any]) -> Any:
        clients: MutableMapping[str, ClientMetadata] = {
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
            {member: held_of(client.assignment) for member, client in clients.items()},
            subscriptions,
            partitions,
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
