"""What a failed test reports of a service's log: its notable lines (WARNING and above,
tracebacks), with repeats folded.

A client cut off from its broker logs the same two errors hundreds of times a second; a
report that shows the last lines shows only those. Here each distinct message appears once,
where it last occurred, with how often and since when, so the last ``shown`` lines reach
back to what happened before the flood."""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVELS = ("[WARNING]", "[ERROR]", "[CRITICAL]", " WARNING ", " ERROR ", " CRITICAL ", "Traceback")
# "[2026-11-25 05:14:45,547] [14461] [ERROR] ..." (faust) or "2026-11-25 05:14:45,179 ERROR ..."
_STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d )?(\d\d:\d\d:\d\d[,.]\d{3})\]? (\[\d+\] )?")
MAX_LINE = 400


@dataclass
class _Seen:
    first: str | None  # time of day of the first occurrence
    count: int
    last_line: str


def notable(lines: list[str], shown: int = 40) -> list[str]:
    """The last ``shown`` distinct notable messages, in the order of their last occurrence;
    one seen more than once is prefixed with how often and the time of its first."""
    seen: dict[str, _Seen] = {}
    for line in lines:
        if not any(level in line for level in LEVELS):
            continue
        line = line[:MAX_LINE]
        stamp = _STAMP.match(line)
        message = line[stamp.end() :] if stamp else line
        found = seen.pop(message, None)  # re-inserted: ordered by last occurrence
        if found is None:
            found = _Seen(stamp.group(2) if stamp else None, 0, line)
        found.count += 1
        found.last_line = line
        seen[message] = found
    out = []
    for item in list(seen.values())[-shown:]:
        if item.count == 1:
            out.append(item.last_line)
        else:
            since = f" since {item.first}" if item.first else ""
            out.append(f"{item.last_line}  [x{item.count}{since}]")
    return out
