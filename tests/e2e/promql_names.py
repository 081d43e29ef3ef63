"""The metric names a PromQL expression reads, and the names a /metrics page exposes: enough
PromQL to check that dashboards and alerts query only metrics that exist."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

KEYWORDS = frozenset({"and", "or", "unless", "bool", "inf", "nan"})
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_OFFSET = re.compile(r"\boffset\s+-?[0-9a-z]+|@\s*[0-9.a-z()]+")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
}


def metric_names(expr: str) -> set[str]:
    """Identifiers that are neither functions, aggregations, keywords nor label names."""
    text = _STRING.sub('""', expr)
    for pattern in (_MATCHERS, _RANGES, _OFFSET, _GROUPING):
        text = pattern.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        followed_by = text[match.end() :].lstrip()[:1]
        if followed_by != "(" and match.group() not in KEYWORDS:
            names.add(match.group())
    return names


def exposed_names(page: str) -> set[str]:
    """Series names a scrape of ``page`` gives Prometheus, including those of families that
    have no sample yet (a labelled counter nobody incremented still shows its HELP line)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(page):
        suffixes = SUFFIXES.get(family.type, ("",))
        names |= {family.name + suffix for suffix in suffixes}
        names |= {sample.name for sample in family.samples}
    return names
