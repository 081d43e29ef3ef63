"""Provinces (GB/T 2260) and 名录 codes by edition."""

from __future__ import annotations

from datetime import date

import pytest

from hazardous_transfer.domain.errors import (
    InvalidWasteCode,
    NoEditionInForce,
    UnknownPrefecture,
    UnknownProvince,
    WasteCodeNotInEdition,
)
from hazardous_transfer.domain.provinces import ProvinceRegistry
from hazardous_transfer.domain.waste_codes import Catalogue, category_of


def test_the_yangtze_river_delta_provinces_are_served_by_default() -> None:
    registry = ProvinceRegistry.yangtze_river_delta()
    assert registry.codes == {"31", "32", "33", "34"}
    assert registry.province("32").prefectures["05"] == "苏州市"


def test_an_unknown_province_or_prefecture_is_refused_by_name() -> None:
    registry = ProvinceRegistry.yangtze_river_delta()
    with pytest.raises(UnknownProvince, match="'44' is not served"):
        registry.province("44")
    with pytest.raises(UnknownPrefecture, match="'09' is not in 安徽省"):
        registry.check_prefecture("34", "09")


def test_a_province_can_be_added_by_configuration() -> None:
    registry = ProvinceRegistry.from_config(
        {"36": {"name": "江西省", "prefectures": {"01": "南昌市"}}}
    )
    registry.check_prefecture("36", "01")
    with pytest.raises(ValueError, match="two digits"):
        ProvinceRegistry.from_config({"36": {"name": "江西省", "prefectures": {"1": "南昌市"}}})


@pytest.mark.parametrize(
    ("code", "category"), [("900-041-49", "HW49"), ("336-064-17", "HW17"), ("772-007-50", "HW50")]
)
def test_a_well_formed_code_names_its_category(code: str, category: str) -> None:
    assert category_of(code) == category


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("900-041-4", "NNN-NNN-NN"),
        ("900041-49", "NNN-NNN-NN"),
        ("HW49", "NNN-NNN-NN"),
        ("900-041-42", "HW42, which does not exist"),
        ("900-041-00", "HW00, which does not exist"),
        ("900-041-51", "HW51, which does not exist"),
    ],
)
def test_a_malformed_code_or_unused_category_is_refused(code: str, reason: str) -> None:
    with pytest.raises(InvalidWasteCode, match=reason):
        category_of(code)


def test_the_edition_in_force_depends_on_the_date() -> None:
    catalogue = Catalogue()
    assert catalogue.in_force(date(2024, 12, 31)).name == "2021"
    assert catalogue.in_force(date(2025, 1, 1)).name == "2025"
    with pytest.raises(NoEditionInForce, match="2021"):
        catalogue.in_force(date(2020, 6, 1))


def test_a_code_missing_from_the_loaded_table_of_the_edition_in_force_is_refused() -> None:
    catalogue = Catalogue().with_tables(
        {"2021": frozenset({"900-041-49", "900-999-49"}), "2025": frozenset({"900-041-49"})}
    )
    assert catalogue.check("900-999-49", date(2024, 6, 1)) == "HW49"
    with pytest.raises(WasteCodeNotInEdition, match="not in the 2025 edition"):
        catalogue.check("900-999-49", date(2025, 6, 1))


def test_a_code_found_hazardous_by_testing_is_valid_in_every_edition() -> None:
    catalogue = Catalogue().with_tables({"2025": frozenset({"900-041-49"})})
    assert catalogue.check("900-000-08", date(2025, 6, 1)) == "HW08"


def test_a_declared_category_must_match_the_code() -> None:
    with pytest.raises(InvalidWasteCode, match="belongs to HW49, not to the declared HW08"):
        Catalogue().check("900-041-49", date(2025, 6, 1), declared_category="HW08")
