"""Reading a batch body (JSON array, NDJSON or CSV) into reports, item by item: an item
that cannot be read becomes a rejection with its reasons; the others go on."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from waste_intake.domain.errors import FieldError
from waste_intake.domain.flows import FlowReport

Parsed = FlowReport | list[FieldError]
CSV_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class UnreadableBatch(ValueError):
    """The body as a whole cannot be read (not one bad item): the request fails."""


def field_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(".".join(str(p) for p in e["loc"]) or "item", e["msg"], e["type"])
        for e in exc.errors()
    ]


def parse_item(data: Any) -> Parsed:
    try:
        return FlowReport.model_validate(data)
    except ValidationError as exc:
        return field_errors(exc)


def from_json_array(body: bytes) -> list[Any]:
    try:
        items = json.loads(body)
    except ValueError as exc:
        raise UnreadableBatch(f"the body is not JSON: {exc}") from None
    if not isinstance(items, list):
        raise UnreadableBatch("a JSON batch is an array of reports")
    return items


def from_ndjson(body: bytes) -> list[Any]:
    items: list[Any] = []
    for number, line in enumerate(body.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except ValueError as exc:
            items.append(_Unparsable(f"line {number} is not JSON: {exc}"))
    return items


def from_csv(body: bytes) -> list[Any]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableBatch("a CSV upload is UTF-8 text") from None
    # newline="": the csv module reads line ends itself, a bare CR included.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        _check_columns(reader.fieldnames)
        return [_csv_row(row) for row in reader]
    except csv.Error as exc:  # a NUL, a field over the csv module's size limit, ...
        raise UnreadableBatch(f"the CSV cannot be read: line {reader.line_num}: {exc}") from None


def _check_columns(columns: Sequence[str] | None) -> None:
    known = set(FlowReport.model_fields)
    required = {n for n, f in FlowReport.model_fields.items() if f.is_required()}
    present = set(columns or ())
    if missing := sorted(required - present):
        raise UnreadableBatch(f"the CSV header lacks the columns {missing}")
    if unknown := sorted(present - known):
        raise UnreadableBatch(f"the CSV header has unknown columns {unknown}")


def _csv_row(row: dict[str | None, Any]) -> dict[str, Any]:
    """Empty cells are absent values; is_estimate reads true/false, yes/no or 1/0. Cells
    beyond the header's columns make the row unreadable (``extra_cells`` is refused)."""
    if None in row:
        return {"extra_cells": row[None]}
    item = {k: v.strip() for k, v in row.items() if k and v is not None and v.strip() != ""}
    if "is_estimate" in item:
        flag = item["is_estimate"].lower()
        item["is_estimate"] = CSV_BOOLEANS.get(flag, item["is_estimate"])
    return item


class _Unparsable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def parse_items(items: list[Any]) -> list[Parsed]:
    parsed: list[Parsed] = []
    for item in items:
        if isinstance(item, _Unparsable):
            parsed.append([FieldError("item", item.reason, "unreadable")])
        else:
            parsed.append(parse_item(item))
    return parsed
