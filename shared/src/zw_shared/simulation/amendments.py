"""What a day adds to the flows it recorded: retries, corrections and voids by the
facilities, and the inspectors' and surveyors' visits to the cells (pure, seeded)."""

from __future__ import annotations

import random
from datetime import date, datetime, time

from zw_shared.simulation.records import CST, Assessment, Cell, Correction, FlowReport, Void


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CST)


def amendments(
    reports: list[FlowReport], rng: random.Random
) -> tuple[list[FlowReport], list[Correction], list[Void]]:
    """A few retries (same id, same content), corrections of weighed quantities and voids
    of flows reported by mistake, each on a different generated flow."""
    chosen = rng.sample([r for r in reports if r.stage == "generated"], 19)
    corrections = [
        Correction(
            r.event_id,
            r.corrected(f"{r.event_id}-fix", round(r.quantity * 1.1, 1)),
            "weighed again",
        )
        for r in chosen[6:14]
    ]
    voids = [
        Void(r.facility_id, r.event_id, f"{r.event_id}-void", "reported under two ids")
        for r in chosen[14:]
    ]
    return chosen[:6], corrections, voids


def assessments(cells: list[Cell], day: date, rng: random.Random) -> list[Assessment]:
    found = []
    for i, cell in enumerate(cells[:12]):
        found.append(
            Assessment(
                cell.cell_id,
                f"{cell.cell_id}-{day}-inspection",
                "inspection",
                _at(day, 10, i),
                passed=i % 4 != 3,
            )
        )
    for i, cell in enumerate(cells[12:20]):
        score = float(rng.randint(60, 98))
        found.append(
            Assessment(
                cell.cell_id,
                f"{cell.cell_id}-{day}-survey",
                "survey",
                _at(day, 15, i),
                satisfaction_score=score,
            )
        )
    offender = next(c for c in cells if c.cell_type == "restaurant")
    found.append(
        Assessment(
            offender.cell_id,
            f"{offender.cell_id}-{day}-spot-check",
            "inspection",
            _at(day, 16),
            passed=False,
            serious_violation=True,
        )
    )
    return found
