"""The indicator system is configuration, validated at start-up with a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.adapters.indicator_config import (
    IndicatorSystemError,
    load_indicator_system,
    parse_indicator_system,
)
from scoring.domain.cells import CellType
from scoring.domain.indicators.system import MeeCategory


def the_default() -> dict[str, Any]:
    return load_indicator_system().model_dump(mode="json")


def parsed(document: dict[str, Any]) -> None:
    parse_indicator_system(yaml.safe_dump(document), "test.yaml")


def test_the_default_system_scores_all_eleven_shanghai_cell_types() -> None:
    system = load_indicator_system()

    assert (system.id, system.version) == ("shanghai-cells", 1)
    assert all(system.indicators_for(cell_type) for cell_type in CellType)
    assert len(CellType) == 11


def test_the_default_system_weighs_indicators_in_the_mee_categories() -> None:
    system = load_indicator_system()
    categories = {indicator.category for indicator in system.indicators}

    assert categories == set(MeeCategory)
    assert sum(indicator.scale.weight for indicator in system.indicators) == 100


def test_a_restaurant_has_its_own_wet_waste_target() -> None:
    system = load_indicator_system()
    wet = next(i for i in system.indicators if i.id == "wet_waste_separation_rate")

    assert wet.scale_for(CellType.RESTAURANT).target == 0.60
    assert wet.scale_for(CellType.COMMUNITY).target == 0.35
    assert not wet.applies(CellType.FACTORY)


def test_a_cell_type_s_plan_holds_its_indicators_with_their_scales_and_its_vetoes() -> None:
    system = load_indicator_system()

    restaurant = system.plan_for(CellType.RESTAURANT)
    factory = system.plan_for(CellType.FACTORY)

    scales = {indicator.id: scale for indicator, scale in restaurant.indicators}
    assert scales["wet_waste_separation_rate"].target == 0.60  # the restaurant's override
    assert "wet_waste_separation_rate" not in {i.id for i, _ in factory.indicators}
    assert [i.id for i, _ in factory.indicators] == [
        i.id for i in system.indicators_for(CellType.FACTORY)
    ]
    assert [v.id for v in factory.veto_items] == [
        v.id for v in system.veto_items if v.applies(CellType.FACTORY)
    ]
    assert system.plan_for(CellType.RESTAURANT) is restaurant  # derived once
    assert system == load_indicator_system()  # and not part of what the system is


def test_a_system_file_on_disk_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump({**the_default(), "version": 2}))

    assert load_indicator_system(path).version == 2


def test_a_missing_file_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(IndicatorSystemError, match=r"nowhere\.yaml"):
        load_indicator_system(tmp_path / "nowhere.yaml")


def test_a_file_that_is_not_yaml_is_refused() -> None:
    with pytest.raises(IndicatorSystemError, match="not valid YAML"):
        parse_indicator_system("indicators: [", "bad.yaml")


def with_indicator_change(index: int, **changes: Any) -> dict[str, Any]:
    document = the_default()
    document["indicators"][index] = {**document["indicators"][index], **changes}
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            with_indicator_change(0, scale={"target": 0.1, "floor": 0.1, "weight": 5}),
            r"indicators\.0\.scale: .*target and floor must differ",
        ),
        (
            with_indicator_change(
                1,
                formula={
                    "kind": "fact_ratio",
                    "numerator": ["bribes"],
                    "denominator": ["flow_events"],
                },
            ),
            r"indicators\.1\.formula\.fact_ratio\.numerator\.0",
        ),
        (with_indicator_change(1, formula={"kind": "magic"}), r"indicators\.1\.formula"),
        (with_indicator_change(2, applies_to=["spaceport"]), r"indicators\.2\.applies_to"),
        (
            with_indicator_change(2, overrides={"factory": {"target": 0.5}}),
            "override for 'factory', to which it does not apply",
        ),
        (with_indicator_change(1, id="recycling_rate_x", weight=3), r"indicators\.1\.weight"),
        (
            with_indicator_change(1, id="waste_per_person_day_reduction"),
            r"duplicate indicator or veto ids: \['waste_per_person_day_reduction'\]",
        ),
        (
            {**the_default(), "bands": [{"name": "top", "min_score": 50}]},
            "one band must start at min_score 0",
        ),
        (
            {**the_default(), "baselines_kg_per_person_day": {"community": 1.0}},
            r"cell types without a positive baseline: \['government_office'",
        ),
        ({**the_default(), "colour": "green"}, "colour: Extra inputs are not permitted"),
        ({**the_default(), "version": 0}, "version"),
    ],
)
def test_an_invalid_system_is_refused_naming_the_field(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(IndicatorSystemError, match=message):
        parsed(document)


def test_a_system_leaving_a_cell_type_without_indicators_is_refused() -> None:
    document = the_default()
    for indicator in document["indicators"]:
        indicator["applies_to"] = ["community"]
        indicator["overrides"] = {}

    with pytest.raises(IndicatorSystemError, match="no indicator applies to cell types"):
        parsed(document)
