"""Searches over a node's records: by province, party, status, waste code and date. They
run on the stored JSON documents, so a search validates nothing it does not return."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hazardous_transfer.domain.working_days import CHINA_TZ

Document = dict[str, Any]
INTERNAL = ("commands", "event_keys")


class Search(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    province: str | None = Field(default=None, pattern=r"^\d{2}$")
    party: str | None = None
    status: str | None = None
    code: str | None = Field(default=None, pattern=r"^\d{3}-\d{3}-\d{2}$")
    since: date | None = None
    until: date | None = None
    limit: int = Field(default=100, ge=1, le=1000)

    def matches(
        self, provinces: set[str], parties: set[str], status: str, code: str, at: str
    ) -> bool:
        return (
            (self.province is None or self.province in provinces)
            and (self.party is None or self.party in parties)
            and (self.status is None or self.status == status)
            and (self.code is None or self.code == code)
            and self._in_period(at)
        )

    def _in_period(self, at: str) -> bool:
        if self.since is None and self.until is None:
            return True
        day = datetime.fromisoformat(at).astimezone(CHINA_TZ).date()
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )


def public(document: Document) -> Document:
    return {k: v for k, v in document.items() if k not in INTERNAL}


def search_applications(documents: Iterable[Document], q: Search) -> list[Document]:
    found = [
        a
        for a in documents
        if q.matches(
            {a["details"]["origin_province"], a["details"]["destination_province"]},
            {a["details"]["shipper_id"], a["details"]["receiver_id"]},
            a["status"],
            a["details"]["waste_code"],
            a["submitted_at"],
        )
    ]
    return [public(a) for a in sorted(found, key=lambda a: a["submitted_at"])[: q.limit]]


def search_manifests(documents: Iterable[Document], q: Search) -> list[Document]:
    found = [
        m
        for m in documents
        if q.matches(
            {m["origin_province"], m["destination_province"]},
            {m["shipper_id"], m["receiver_id"], *m["carriers"]},
            m["status"],
            m["versions"][-1]["waste"]["waste_code"],
            m["log"][0]["at"],
        )
    ]
    return [public(m) for m in sorted(found, key=lambda m: m["manifest_no"])[: q.limit]]
