"""The node's workers: every partition to one of them (the active worker), none to the
others (standbys); who is active stays put while it is in the group."""

from __future__ import annotations

from faust.assignor.client_assignment import ClientAssignment

from hazardous_transfer.adapters.one_active import choose_active, held_of, one_active_assignment

COMMANDS, EVENTS = "hazardous.commands.v1", "hazardous.transfer-events.v1"
LEDGERS = "node-ledgers-changelog"
PARTITIONS = {COMMANDS: [0, 1, 2, 3, 4, 5], EVENTS: [0, 1, 2, 3, 4, 5], LEDGERS: list(range(8))}
ALL = list(PARTITIONS)


def test_a_lone_worker_holds_every_partition() -> None:
    got = one_active_assignment({"m1": 0}, {"m1": ALL}, PARTITIONS)

    assert got["m1"].actives == PARTITIONS
    assert got["m1"].standbys == {}


def test_a_second_worker_gets_nothing_while_the_first_is_in_the_group() -> None:
    held = {"m1": 20, "m0": 0}  # m0 just joined; it has the lower id
    got = one_active_assignment(held, {"m1": ALL, "m0": ALL}, PARTITIONS)

    assert got["m1"].actives == PARTITIONS, "the worker that was active stays active"
    assert (got["m0"].actives, got["m0"].standbys) == ({}, {})


def test_ties_go_to_the_lowest_member_id_whoever_computes_them() -> None:
    held = {"b": 0, "a": 0, "c": 0}

    assert choose_active(held) == "a"
    assert choose_active(dict(reversed(held.items()))) == "a"


def test_a_topic_without_partitions_is_not_given() -> None:
    subscribed = {"m1": [COMMANDS, "missing-topic"]}
    partitions = {**PARTITIONS, "missing-topic": []}
    got = one_active_assignment({"m1": 0}, subscribed, partitions)

    assert got["m1"].actives == {COMMANDS: PARTITIONS[COMMANDS]}


def test_what_a_member_held_is_counted_from_its_previous_assignment() -> None:
    before = ClientAssignment(actives={COMMANDS: [0, 1], EVENTS: [2]}, standbys={LEDGERS: [0]})

    assert held_of(before) == 3
    assert held_of(ClientAssignment(actives={}, standbys={})) == 0
    assert held_of(None) == 0
