"""Hazardous-waste codes of the 《国家危险废物名录》, validated by the edition in force.

A code is ``NNN-NNN-NN``: industry (GB/T 4754-2017), serial, and the HW category, which is
one of HW01-HW40 or HW45-HW50. ``900-000-XX`` is waste found hazardous by testing that the
list does not name; it is valid in every edition for every category.

An edition may carry its full table of codes (loaded from a file by the adapters); without
one, a code is checked for form and category only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from hazardous_transfer.domain.errors import (
    InvalidWasteCode,
    NoEditionInForce,
    WasteCodeNotInEdition,
)

CODE_PATTERN = re.compile(r"^(\d{3})-(\d{3})-(\d{2})$")
CATEGORIES = frozenset(f"HW{n:02d}" for n in (*range(1, 41), *range(45, 51)))
TESTED_NOT_LISTED = "900-000"


def category_of(code: str) -> str:
    """The HW category a well-formed code belongs to; refuses a malformed code."""
    match = CODE_PATTERN.match(code)
    if match is None:
        raise InvalidWasteCode(f"waste code {code!r} is not of the form NNN-NNN-NN")
    category = f"HW{match.group(3)}"
    if category not in CATEGORIES:
        raise InvalidWasteCode(
            f"waste code {code!r} names category {category}, which does not exist "
            "(HW01-HW40 and HW45-HW50)"
        )
    return category


class Edition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, examples=["2021", "2025"])
    in_force_from: date
    categories: frozenset[str] = CATEGORIES
    codes: frozenset[str] | None = Field(
        default=None, description="the edition's full code table; None: not loaded"
    )

    def check(self, code: str, declared_category: str | None = None) -> str:
        category = category_of(code)
        if category not in self.categories:
            raise WasteCodeNotInEdition(f"category {category} is not in the {self.name} edition")
        if declared_category is not None and declared_category != category:
            raise InvalidWasteCode(
                f"waste code {code} belongs to {category}, not to the declared {declared_category}"
            )
        listed = self.codes is None or code in self.codes or code.startswith(TESTED_NOT_LISTED)
        if not listed:
            raise WasteCodeNotInEdition(f"waste code {code} is not in the {self.name} edition")
        return category


EDITION_2021 = Edition(name="2021", in_force_from=date(2021, 1, 1))
EDITION_2025 = Edition(name="2025", in_force_from=date(2025, 1, 1))


class Catalogue:
    """The editions of the 名录, each in force from its date until the next one."""

    def __init__(self, editions: Iterable[Edition] = (EDITION_2021, EDITION_2025)) -> None:
        self._editions = sorted(editions, key=lambda e: e.in_force_from)
        if not self._editions:
            raise ValueError("a catalogue needs at least one edition")

    def in_force(self, on: date) -> Edition:
        current = [e for e in self._editions if e.in_force_from <= on]
        if not current:
            first = self._editions[0]
            raise NoEditionInForce(
                f"no 名录 edition is in force on {on} (the first, {first.name}, "
                f"applies from {first.in_force_from})"
            )
        return current[-1]

    def check(self, code: str, on: date, declared_category: str | None = None) -> str:
        """The code's category if the code is valid in the edition in force on ``on``."""
        return self.in_force(on).check(code, declared_category)

    def with_tables(self, tables: dict[str, frozenset[str]]) -> Catalogue:
        """A copy whose named editions carry the given full code tables."""
        unknown = set(tables) - {e.name for e in self._editions}
        if unknown:
            raise ValueError(f"code tables given for unknown editions {sorted(unknown)}")
        return Catalogue(
            e.model_copy(update={"codes": tables[e.name]}) if e.name in tables else e
            for e in self._editions
        )
