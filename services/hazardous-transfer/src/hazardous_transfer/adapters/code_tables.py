"""Reads the full code table of a 名录 edition: one code a line; blank lines and lines
starting with ``#`` are ignored, anything after the code on a line (its name) too."""

from __future__ import annotations

from pathlib import Path

from hazardous_transfer.domain.errors import DomainError
from hazardous_transfer.domain.waste_codes import category_of


def parse_code_table(text: str, source: str) -> frozenset[str]:
    codes: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        code = stripped.split()[0]
        try:
            category_of(code)
        except DomainError as exc:
            raise ValueError(f"{source}:{number}: {exc}") from None
        codes.add(code)
    return frozenset(codes)


def read_code_table(path: str | Path) -> frozenset[str]:
    return parse_code_table(Path(path).read_text(encoding="utf-8"), str(path))
