"""Who reads what at a province node: the parties named on a record and the officials of
the provinces it touches; searches are bound to the caller's own records."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from hazardous_transfer.domain.acts import Role
from hazardous_transfer.domain.visibility import Reader
from hazardous_transfer.entrypoints.access import application_scope, bound, manifest_scope
from hazardous_transfer.service.queries import Search

MANIFEST = {"shipper_id": "fac-js", "receiver_id": "rcv-sh", "carriers": ["car-1", "car-2"],
            "origin_province": "32", "destination_province": "31"}  # fmt: skip
APPLICATION = {"details": {"shipper_id": "fac-js", "receiver_id": "rcv-sh",
                           "origin_province": "32", "destination_province": "31"}}  # fmt: skip


@pytest.mark.parametrize(
    ("reader", "sees"),
    [
        (Reader("fac-js", Role.SHIPPER), True),
        (Reader("car-2", Role.CARRIER), True),
        (Reader("rcv-sh", Role.RECEIVER), True),
        (Reader("x", Role.OFFICIAL, "31"), True),
        (Reader("x", Role.OFFICIAL, "32"), True),
        (Reader("x", Role.OFFICIAL, "33"), False),
        (Reader("fac-zj", Role.SHIPPER), False),
        (Reader("car-9", Role.CARRIER), False),
    ],
)
def test_a_manifest_is_read_by_its_parties_and_its_provinces_officials(
    reader: Reader, sees: bool
) -> None:
    assert reader.may_read(*manifest_scope(MANIFEST)) is sees


def test_a_carrier_is_no_party_to_an_application() -> None:
    scope = application_scope(APPLICATION)

    assert not Reader("car-1", Role.CARRIER).may_read(*scope)
    assert Reader("rcv-sh", Role.RECEIVER).may_read(*scope)


def test_a_partys_search_is_bound_to_its_own_records() -> None:
    shipper = Reader("fac-js", Role.SHIPPER)

    assert bound(Search(status="drafted"), shipper).party == "fac-js"
    with pytest.raises(HTTPException) as refused:
        bound(Search(party="fac-zj"), shipper)
    assert refused.value.status_code == 403


def test_an_officials_search_is_bound_to_its_province() -> None:
    official = Reader("o", Role.OFFICIAL, "31")

    assert bound(Search(), official).province == "31"
    assert bound(Search(party="fac-js"), official).model_dump(exclude_none=True) == {
        "party": "fac-js", "province": "31", "limit": 100}  # fmt: skip
    with pytest.raises(HTTPException) as refused:
        bound(Search(province="33"), official)
    assert "province 31" in str(refused.value.detail)
