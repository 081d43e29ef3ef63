"""The parts of a province node that need no broker: settings, code tables, the staging of
a command's writes and the searches."""

from __future__ import annotations

import pytest
from hazardous_builders import MONDAY, details, shipper
from pydantic import BaseModel, ValidationError

from hazardous_transfer import schemas
from hazardous_transfer.adapters.code_tables import parse_code_table
from hazardous_transfer.bootstrap import build_api_deps, build_policy
from hazardous_transfer.domain import application_commands as ac
from hazardous_transfer.domain.application import start
from hazardous_transfer.domain.policy import TransferPolicy
from hazardous_transfer.entrypoints.api import create_app
from hazardous_transfer.service.queries import Search, public, search_applications
from hazardous_transfer.service.staging import Overlay
from hazardous_transfer.settings import HazardousSettings
from zw_shared.contracts.hazardous import ApplicationStep


def test_a_node_serves_only_provinces_it_knows() -> None:
    with pytest.raises(ValidationError, match=r"\['44'\] are not in PROVINCES"):
        HazardousSettings(served_provinces="32,44")
    with pytest.raises(ValidationError, match="two-digit"):
        HazardousSettings(served_provinces="jiangsu")
    assert HazardousSettings(served_provinces=" 32, 31 ").served == {"31", "32"}


def test_time_limits_and_tolerance_come_from_the_settings() -> None:
    policy = build_policy(HazardousSettings(destination_answer_days=7, quantity_tolerance=0.1))
    assert policy.application_limits[ApplicationStep.DESTINATION_ANSWER] == 7
    assert policy.quantity_tolerance == 0.1


def test_a_code_table_is_read_line_by_line_and_a_bad_line_is_named() -> None:
    text = "# 2025 edition\n900-041-49 废包装物\n\n772-007-50\n"
    assert parse_code_table(text, "codes.txt") == {"900-041-49", "772-007-50"}
    with pytest.raises(ValueError, match=r"codes\.txt:2: .*HW43"):
        parse_code_table("900-041-49\n900-041-43\n", "codes.txt")


def test_staged_writes_reach_the_table_only_on_commit() -> None:
    table: dict[str, object] = {"a": 1}
    overlay = Overlay(table)
    overlay["b"] = 2
    del overlay["a"]
    assert dict(overlay) == {"b": 2}
    assert table == {"a": 1}
    overlay.commit()
    assert table == {"b": 2}
    overlay["c"] = 3
    overlay.rollback()
    assert table == {"b": 2}


def test_a_search_filters_by_province_party_status_code_and_date() -> None:
    app = start(ac.apply("TA-1", details(), shipper(), TransferPolicy()), white_listed=False)
    day = MONDAY.date()
    hits = [
        Search(province="31"), Search(party="receiver-sh-1"), Search(status="applied"),
        Search(code="900-041-49"), Search(since=day, until=day),
    ]  # fmt: skip
    misses = [
        Search(province="33"), Search(party="nobody"), Search(status="approved"),
        Search(code="900-249-08"), Search(since=day.replace(day=3)),
    ]  # fmt: skip
    document = app.model_dump(mode="json")
    assert all(search_applications([document], s) == [public(document)] for s in hits)
    assert all(search_applications([document], s) == [] for s in misses)
    assert "commands" not in public(document)


@pytest.mark.parametrize(
    "body",
    [
        schemas.ApplyBody,
        schemas.AnswerBody,
        schemas.RefuseBody,
        schemas.DraftBody,
        schemas.TransportBody,
        schemas.ReceiptBody,
        schemas.CorrectionBody,
    ],
)
def test_every_example_in_the_openapi_document_is_a_valid_body(body: type[BaseModel]) -> None:
    (example,) = body.model_config["json_schema_extra"]["examples"]  # type: ignore[index]
    body.model_validate(example)
    schema = create_app(build_api_deps()).openapi()["components"]["schemas"][body.__name__]
    assert schema["examples"] == [example]
