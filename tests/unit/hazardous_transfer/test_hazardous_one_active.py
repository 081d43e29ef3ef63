"""The node's workers: every partition to one of them (the active worker), standby copies of
the changelogs to the others; who is active stays put while it is in the group."""

from __future__ import annotations

from faust.assignor.client_assignment import ClientAssignment, ClientMetadata

from hazardous_transfer.adapters.one_active import (
    Held,
    OneActiveMetadata,
    choose_active,
    held_of,
    one_active_assignment,
)

COMMANDS, EVENTS = "hazardous.commands.v1", "hazardous.transfer-events.v1"
LEDGERS = "node-ledgers-changelog"
PARTITIONS = {COMMANDS: [0, 1, 2, 3, 4, 5], EVENTS: [0, 1, 2, 3, 4, 5], LEDGERS: list(range(8))}
ALL = list(PARTITIONS)


def test_a_lone_worker_holds_every_partition() -> None:
    got = one_active_assignment({"m1": Held(0, 0)}, {"m1": ALL}, PARTITIONS, {LEDGERS})

    assert got["m1"].actives == PARTITIONS
    assert got["m1"].standbys == {}


def test_a_second_worker_gets_standby_copies_of_the_changelogs_only() -> None:
    held = {"m1": Held(actives=20, standbys=0), "m0": Held(0, 0)}  # m0 just joined
    got = one_active_assignment(held, {"m1": ALL, "m0": ALL}, PARTITIONS, {LEDGERS})

    assert got["m1"].actives == PARTITIONS, "the worker that was active stays active"
    assert got["m0"].actives == {}
    assert got["m0"].standbys == {LEDGERS: list(range(8))}


def test_the_warm_standby_takes_over_not_a_fresh_process() -> None:
    # the active worker died; a new process of it joins as m0 (lowest id, nothing held)
    held = {"m0": Held(0, 0), "m2": Held(actives=0, standbys=8)}

    assert choose_active(held) == "m2"


def test_of_two_claiming_the_node_the_one_that_got_it_last_keeps_it() -> None:
    # m0 was frozen past its session; m5 took the node over; m0 joins again, still claiming
    held = {"m0": Held(20, 0, active_since=1000.0), "m5": Held(20, 0, active_since=1012.5)}

    assert choose_active(held) == "m5"
    # even if the frozen one held more then (a topic the other's group had not seen yet)
    held["m0"] = Held(28, 0, active_since=1000.0)
    assert choose_active(held) == "m5"


def test_the_metadata_a_member_joins_with_carries_when_it_got_the_node() -> None:
    metadata = OneActiveMetadata(
        assignment=ClientAssignment(actives={COMMANDS: [0]}, standbys={}),
        url="http://w:6063", changelog_distribution={}, active_since=1234.5,
    )  # fmt: skip
    older = ClientMetadata(assignment=metadata.assignment, url="http://w:6063",
                           changelog_distribution={})  # fmt: skip

    assert OneActiveMetadata.loads(metadata.dumps()).active_since == 1234.5
    assert OneActiveMetadata.loads(older.dumps()).active_since == 0.0, "a worker of older code"


def test_ties_go_to_the_lowest_member_id_whoever_computes_them() -> None:
    held = {"b": Held(0, 0), "a": Held(0, 0), "c": Held(0, 0)}

    assert choose_active(held) == "a"
    assert choose_active(dict(reversed(held.items()))) == "a"


def test_a_topic_without_partitions_is_not_given() -> None:
    subscribed = {"m1": [COMMANDS, "missing-topic"]}
    partitions = {**PARTITIONS, "missing-topic": []}
    got = one_active_assignment({"m1": Held(0, 0)}, subscribed, partitions, {LEDGERS})

    assert got["m1"].actives == {COMMANDS: PARTITIONS[COMMANDS]}


def test_what_a_member_held_is_counted_from_its_previous_assignment() -> None:
    before = ClientAssignment(actives={COMMANDS: [0, 1], EVENTS: [2]}, standbys={LEDGERS: [0]})

    assert held_of(before) == Held(actives=3, standbys=1)
    assert held_of(ClientAssignment(actives={}, standbys={})) == Held(0, 0)
    assert held_of(None) == Held(0, 0)
