"""Editions of the National Catalogue of Hazardous Wastes (名录) and, where the deployment
supplies it, each edition's table of listed codes (DOMAIN.md 4: 2021 edition in force from
2021-01-01, 2025 edition from 2025-01-01).

Without a table for an edition, a code is checked for its form and HW category only; with
one, it must be listed in the edition in force on the day the flow occurred.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from waste_intake.domain.hazardous_codes import code_problem

EDITIONS_IN_FORCE = {"2021": date(2021, 1, 1), "2025": date(2025, 1, 1)}
ANY_CATEGORY_SERIAL = "900-000-"  # found hazardous by testing, not listed: valid in any edition


@dataclass(frozen=True)
class Catalogue:
    in_force: Mapping[str, date] = field(default_factory=lambda: dict(EDITIONS_IN_FORCE))
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def edition_on(self, day: date) -> str | None:
        started = [(since, name) for name, since in self.in_force.items() if since <= day]
        return max(started)[1] if started else None

    def problem(self, code: str, day: date) -> str | None:
        """Why ``code`` is not a valid code on ``day`` (None: it is)."""
        problem = code_problem(code)
        if problem is not None or code.startswith(ANY_CATEGORY_SERIAL):
            return problem
        edition = self.edition_on(day)
        table = self.tables.get(edition or "")
        if table is not None and code not in table:
            return f"{code} is not listed in the {edition} edition of the 名录 (in force on {day})"
        return None


def parse_table(text: str) -> frozenset[str]:
    """One code per line; blank lines and ``#`` comments ignored; every code well-formed."""
    codes = {line.split("#")[0].strip() for line in text.splitlines()} - {""}
    bad = sorted(c for c in codes if code_problem(c) is not None)
    if bad:
        raise ValueError(f"malformed 名录 codes in the table: {bad[:5]}")
    return frozenset(codes)
