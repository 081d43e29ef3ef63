"""Two province nodes in memory (Jiangsu 32 owns what leaves Jiangsu, Shanghai 31 answers
and receives): commands go to the owner, events reach every node concerned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import pytest
from hazardous_builders import CARRIER_A, CARRIER_B, MONDAY, RECEIVER, SHIPPER, details, waste

from hazardous_transfer.domain.errors import DomainError, NotFound, OutOfOrder, WrongParty
from hazardous_transfer.domain.policy import TransferPolicy, WhiteList, WhiteListEntry
from hazardous_transfer.service.deadlines import overdue
from hazardous_transfer.service.handler import CommandHandler, Outcome
from hazardous_transfer.service.queries import Search, search_manifests
from hazardous_transfer.service.records import Records, in_memory_records
from hazardous_transfer.service.replica import Replica
from zw_shared.contracts.hazardous_commands import CommandName, TransferCommandIssued

_ids = count(1)


@dataclass
class Node:
    served: frozenset[str]
    records: Records
    handler: CommandHandler
    replica: Replica


def node(*provinces: str, policy: TransferPolicy | None = None) -> Node:
    records = in_memory_records()
    served = frozenset(provinces)
    handler = CommandHandler(policy or TransferPolicy(), records)
    return Node(served, records, handler, Replica(records, served))


class Network:
    def __init__(self, policy: TransferPolicy | None = None) -> None:
        self.js, self.sh = node("32", policy=policy), node("31", policy=policy)

    def send(
        self,
        name: CommandName,
        target: str,
        who: tuple[str, str, str | None],
        payload: dict[str, Any] | None = None,
        at: datetime = MONDAY,
    ) -> Outcome:
        actor, role, province = who
        cmd = TransferCommandIssued(
            command_id=f"c{next(_ids)}", name=name, target=target, owner_province="32",
            actor_id=actor, role=role, actor_province=province, issued_at=at, reply_to="test",
            payload=payload or {},
        )  # fmt: skip
        outcome = self.js.handler.handle(cmd)
        self.deliver(outcome)
        return outcome

    def deliver(self, outcome: Outcome) -> None:
        for event in outcome.events:
            for n in (self.js, self.sh):
                n.replica.apply(event)


SHIPPER_ACT = (SHIPPER, "shipper", None)
JS_OFFICIAL = ("official-js", "official", "32")
SH_OFFICIAL = ("official-sh", "official", "31")


def approved(net: Network) -> str:
    net.send(CommandName.APPLY, "TA-1", SHIPPER_ACT, {"details": details().model_dump(mode="json")})
    net.send(CommandName.ACCEPT, "TA-1", JS_OFFICIAL)
    net.send(CommandName.CONSULT, "TA-1", JS_OFFICIAL)
    net.send(CommandName.ANSWER, "TA-1", SH_OFFICIAL, {"agreed": True})
    net.send(CommandName.APPROVE, "TA-1", JS_OFFICIAL)
    state = net.js.records.application("TA-1")
    assert state is not None
    assert state.approval is not None
    return state.approval.approval_id


def draft(net: Network, approval_id: str, quantity: float = 1000.0) -> str:
    payload = {
        "shipper_id": SHIPPER, "receiver_id": RECEIVER, "carriers": [CARRIER_A, CARRIER_B],
        "origin_province": "32", "origin_prefecture": "05", "destination_province": "31",
        "waste": waste(quantity_kg=quantity).model_dump(mode="json"), "method": "R4",
        "approval_id": approval_id,
    }  # fmt: skip
    return net.send(CommandName.DRAFT_MANIFEST, "32-05", SHIPPER_ACT, payload).record_id


def test_both_nodes_hold_the_same_application_and_only_its_provinces_see_it() -> None:
    net = Network()
    approved(net)
    js, sh = net.js.records.application("TA-1"), net.sh.records.application("TA-1")
    assert js is not None
    assert sh is not None
    assert (js.status, js.version) == (sh.status, sh.version)
    assert sh.approval == js.approval


def test_manifests_are_numbered_gap_free_even_when_a_draft_is_refused() -> None:
    net = Network()
    approval_id = approved(net)
    first = draft(net, approval_id)
    with pytest.raises(DomainError):
        draft(net, approval_id, quantity=999_999.0)  # beyond the approval: refused
    second = draft(net, approval_id)
    assert (first, second) == ("20263205000001", "20263205000002")


def test_a_manifest_runs_across_the_nodes_and_its_discrepancy_reaches_shanghai() -> None:
    net = Network()
    no = draft(net, approved(net))
    transport = {"vehicle": "苏E1", "transport_permit": "P-1", "route": "G2"}
    net.send(CommandName.PICK_UP, no, (CARRIER_A, "carrier", None), transport)
    net.send(CommandName.HAND_OVER, no, (CARRIER_B, "carrier", None), transport)
    net.send(CommandName.DELIVER, no, (CARRIER_B, "carrier", None))
    receipt = {"accepted_kg": 800, "refused_kg": 0, "method": "R4", "observed_code": "900-041-49",
               "observed_form": "solid", "observed_packaging": "steel drums"}  # fmt: skip
    net.send(CommandName.RECEIVE, no, (RECEIVER, "receiver", None), receipt)
    sh = net.sh.records.manifest(no)
    assert sh is not None
    assert sh.discrepancy is not None
    assert sh.discrepancy.notify == (SHIPPER, "31")
    assert sh.log == net.js.records.manifest(no).log  # type: ignore[union-attr]
    by_carrier = Search(party=CARRIER_B, status="received", code="900-041-49", province="31")
    found = search_manifests(net.sh.records.manifest_documents(), by_carrier)
    assert [m["manifest_no"] for m in found] == [no]
    assert search_manifests(net.sh.records.manifest_documents(), Search(status="processed")) == []


def test_a_refused_command_leaves_every_record_unchanged() -> None:
    net = Network()
    net.send(CommandName.APPLY, "TA-1", SHIPPER_ACT, {"details": details().model_dump(mode="json")})
    before = net.js.records.application("TA-1")
    with pytest.raises(WrongParty):
        net.send(CommandName.ACCEPT, "TA-1", SH_OFFICIAL)
    with pytest.raises(OutOfOrder):
        net.send(CommandName.APPROVE, "TA-1", JS_OFFICIAL)
    assert net.js.records.application("TA-1") == before


def test_a_command_for_an_unknown_record_is_not_found() -> None:
    with pytest.raises(NotFound, match="TA-404"):
        Network().send(CommandName.ACCEPT, "TA-404", JS_OFFICIAL)


def test_a_destination_that_stays_silent_makes_the_application_overdue_at_both_nodes() -> None:
    net = Network()
    net.send(CommandName.APPLY, "TA-1", SHIPPER_ACT, {"details": details().model_dump(mode="json")})
    net.send(CommandName.ACCEPT, "TA-1", JS_OFFICIAL)
    net.send(CommandName.CONSULT, "TA-1", JS_OFFICIAL)
    for outcome in overdue(net.js.handler, net.js.served, MONDAY + timedelta(days=30)):
        net.deliver(outcome)
    assert overdue(net.js.handler, net.js.served, MONDAY + timedelta(days=31)) == []
    sh = net.sh.records.application("TA-1")
    assert sh is not None
    assert [s.value for s in sh.overdue_steps] == ["destination_answer"]


def test_the_white_list_quota_is_summed_over_the_years_approvals() -> None:
    entry = WhiteListEntry(receiver_id=RECEIVER, waste_code="900-041-49", annual_quantity_kg=30_000)
    net = Network(TransferPolicy(white_list=WhiteList((entry,))))
    for app_id in ("TA-1", "TA-2"):
        body = {"details": details(quantity_kg=20_000.0).model_dump(mode="json")}
        net.send(CommandName.APPLY, app_id, SHIPPER_ACT, body)
        net.send(CommandName.ACCEPT, app_id, JS_OFFICIAL)
    net.send(CommandName.APPROVE, "TA-1", JS_OFFICIAL)  # no consultation: white-listed
    with pytest.raises(OutOfOrder, match="20000 kg approved under the white list already"):
        net.send(CommandName.APPROVE, "TA-2", JS_OFFICIAL)
