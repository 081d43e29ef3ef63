"""Reads restricted to who may see a record (:mod:`hazardous_transfer.domain.visibility`):
a record of others is 403 and shows nothing of it, nor do the refusals of commands on it; a
search is bound to the caller's own records (a party's id, an official's province)."""

from __future__ import annotations

from typing import Any

from hazardous_transfer.domain.acts import Role
from hazardous_transfer.domain.visibility import Reader
from hazardous_transfer.service.queries import Search
from zw_shared.auth import Identity
from zw_shared.auth_http import forbidden

Document = dict[str, Any]
Scope = tuple[set[str], set[str]]  # (parties' ids, provinces touched)


def reader_of(caller: Identity) -> Reader:
    return Reader(caller.sub, Role(caller.role.value), caller.province)


def application_scope(document: Document) -> Scope:
    details = document["details"]
    parties = {details["shipper_id"], details["receiver_id"]}
    return parties, {details["origin_province"], details["destination_province"]}


def manifest_scope(document: Document) -> Scope:
    parties = {document["shipper_id"], document["receiver_id"], *document["carriers"]}
    return parties, {document["origin_province"], document["destination_province"]}


def must_see(reader: Reader, scope: Scope, what: str) -> None:
    if not reader.may_read(*scope):
        raise forbidden(f"{reader.describe()} is not a party to {what} nor an official of "
                        "a province it touches")  # fmt: skip


def bound(search: Search, reader: Reader) -> Search:
    """The search limited to the reader's records; asking for others' is 403."""
    party, province = reader.search_scope()
    if party is not None and search.party not in (None, party):
        raise forbidden(f"{reader.describe()} searches only records it is party to")
    if province is not None and search.province not in (None, province):
        raise forbidden(f"{reader.describe()} searches only records touching province {province}")
    return search.model_copy(update={"party": party or search.party,
                                     "province": province or search.province})  # fmt: skip
