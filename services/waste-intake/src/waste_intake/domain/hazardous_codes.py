"""名录 codes of the National Catalogue of Hazardous Wastes (DOMAIN.md 4).

A code reads ``NNN-NNN-NN``: industry (GB/T 4754-2017), serial, HW category. Categories run
HW01-HW40 and HW45-HW50 (HW41-HW44 are unused). ``900-000-XX`` is waste found hazardous by
testing but not listed, valid for any category.
"""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^(\d{3})-(\d{3})-(\d{2})$")
HW_CATEGORIES = frozenset([*range(1, 41), *range(45, 51)])
MEDICAL_CATEGORY = 1  # HW01 医疗废物


def code_problem(code: str) -> str | None:
    """Why ``code`` is not a well-formed 名录 code, or None when it is."""
    match = CODE_PATTERN.match(code)
    if match is None:
        return f"{code!r} is not a 名录 code: expected the form NNN-NNN-NN, e.g. 900-041-49"
    category = int(match.group(3))
    if category not in HW_CATEGORIES:
        return f"HW{category:02d} in {code!r} is not a 名录 category (HW01-HW40, HW45-HW50)"
    return None


def category_of(code: str) -> int:
    """The HW category of a well-formed code (its last two digits)."""
    return int(code[-2:])
