"""名录 codes are checked against the edition in force on the day of the flow, when the
deployment supplies that edition's table."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from intake_unit_builders import LIMITS, NOW, a_report
from pydantic import ValidationError

from waste_intake.bootstrap import catalogue_of
from waste_intake.domain.catalogue import Catalogue, parse_table
from waste_intake.domain.flows import Limits, check_report
from waste_intake.settings import IntakeSettings

TABLE_2025 = parse_table("# 2025 edition (excerpt for the test)\n900-041-49\n\n841-001-01\n")


def test_the_edition_in_force_follows_the_day() -> None:
    catalogue = Catalogue()
    assert catalogue.edition_on(date(2024, 12, 31)) == "2021"
    assert catalogue.edition_on(date(2025, 1, 1)) == "2025"
    assert catalogue.edition_on(date(2020, 6, 1)) is None


def test_a_code_missing_from_the_edition_s_table_is_refused() -> None:
    catalogue = Catalogue(tables={"2025": TABLE_2025})
    assert catalogue.problem("900-041-49", date(2026, 1, 1)) is None
    assert "not listed in the 2025 edition" in (
        catalogue.problem("900-249-08", date(2026, 1, 1)) or ""
    )


def test_an_edition_without_a_table_checks_the_form_only() -> None:
    catalogue = Catalogue(tables={"2025": TABLE_2025})
    assert catalogue.problem("900-249-08", date(2024, 6, 1)) is None
    assert catalogue.problem("900-249-42", date(2024, 6, 1)) is not None


def test_waste_found_hazardous_by_testing_is_valid_in_any_edition() -> None:
    assert Catalogue(tables={"2025": TABLE_2025}).problem("900-000-31", date(2026, 1, 1)) is None


def test_a_flow_is_checked_against_the_catalogue_of_its_limits() -> None:
    limits = Limits(LIMITS.max_quantity_kg, LIMITS.max_future_skew, LIMITS.max_age,
                    Catalogue(tables={"2025": TABLE_2025}))  # fmt: skip
    report = a_report(category="hazardous", hazardous_code="900-249-08",
                      occurred_at=NOW - timedelta(hours=1))  # fmt: skip
    assert [e.code for e in check_report("fac-01", report, limits, NOW)] == [
        "hazardous_code_invalid"
    ]


def test_tables_are_read_from_the_configured_files(tmp_path: Path) -> None:
    path = tmp_path / "minglu-2025.txt"
    path.write_text("900-041-49\n", encoding="utf-8")
    settings = IntakeSettings(hazardous_code_tables={"2025": path})  # type: ignore[dict-item]
    assert catalogue_of(settings).tables == {"2025": frozenset({"900-041-49"})}


def test_a_malformed_table_or_an_unknown_edition_is_refused() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_table("900-041-49\n90004149\n")
    with pytest.raises(ValidationError, match="unknown 名录 editions"):
        IntakeSettings(hazardous_code_tables={"2019": "/dev/null"})  # type: ignore[dict-item]
