"""Rules against the registry: known cell and counterparty, licences for hazardous waste."""

from __future__ import annotations

from intake_unit_builders import a_facility, a_licence, a_registry, a_report

from waste_intake.domain.facilities import check_facility
from waste_intake.domain.ledger import Location
from waste_intake.domain.registry import check_against_registry
from zw_shared.contracts.waste import FacilityCredentialIssued


def _codes(registry_facilities: tuple = (), **overrides: object) -> list[str]:  # type: ignore[type-arg]
    registry = a_registry(a_facility(), *registry_facilities)
    report = a_report(**overrides)
    return [e.code for e in check_against_registry(a_facility(), report, registry)]


def test_a_report_in_the_facility_s_cell_passes() -> None:
    assert _codes() == []
    assert _codes(cell_id="cell-1") == []


def test_another_cell_is_refused() -> None:
    assert _codes(cell_id="cell-9") == ["unknown_cell"]


def test_a_handover_to_an_unregistered_facility_is_refused() -> None:
    assert _codes(stage="handed_over", counterparty_facility_id="ghost") == ["unknown_counterparty"]


def test_hazardous_waste_goes_only_to_a_facility_licensed_for_its_code() -> None:
    operator = a_facility("op", facility_type="hazardous_waste_operator",
                          licences=[a_licence("900-041-49")])  # fmt: skip
    handover = {"stage": "handed_over", "category": "hazardous", "counterparty_facility_id": "op"}
    assert _codes((operator,), hazardous_code="900-041-49", **handover) == []
    assert _codes((operator,), hazardous_code="900-249-08", **handover) == [
        "counterparty_unlicensed"
    ]


def test_an_expired_licence_does_not_cover_the_code() -> None:
    operator = a_facility("op", licences=[a_licence("900-041-49", valid_until="2020-01-01")])
    handover = {"stage": "handed_over", "category": "hazardous", "counterparty_facility_id": "op"}
    assert _codes((operator,), hazardous_code="900-041-49", **handover) == [
        "counterparty_unlicensed"
    ]


def test_a_generator_may_store_its_own_hazardous_waste_without_a_licence() -> None:
    assert _codes(stage="stored", category="hazardous", hazardous_code="900-041-49") == []
    assert _codes(stage="received", category="hazardous", hazardous_code="900-041-49") == [
        "facility_unlicensed"
    ]


def test_a_facility_belongs_to_a_registered_cell_and_licences_name_valid_codes() -> None:
    facility = a_facility(cell_id="cell-9", licences=[a_licence("900-041-42")])
    errors = check_facility(facility, a_registry())
    assert [(e.field, e.code) for e in errors] == [
        ("cell_id", "unknown_cell"),
        ("licences.0.hazardous_codes", "hazardous_code_invalid"),
    ]


def test_a_new_key_hash_replaces_the_old_one_for_its_owner() -> None:
    registry = a_registry()
    for digest in ("a" * 64, "b" * 64):
        registry.apply(
            FacilityCredentialIssued(facility_id="fac-01", key_sha256=digest,
                                     issued_at="2026-11-24T00:00:00Z")  # type: ignore[arg-type]
        )  # fmt: skip
    assert registry.owner_of("a" * 64) is None
    assert registry.owner_of("b" * 64) == "fac-01"


def _key(digest: str) -> FacilityCredentialIssued:
    return FacilityCredentialIssued(facility_id="fac-01", key_sha256=digest,
                                    issued_at="2026-11-24T00:00:00Z")  # type: ignore[arg-type]  # fmt: skip


def test_a_key_read_back_from_its_topic_after_a_newer_one_was_issued_does_not_replace_it() -> None:
    registry = a_registry()
    topic = "waste.facility-credentials.v1"
    # the API issues two keys in a row and applies each once the broker has it...
    registry.apply(_key("a" * 64), Location(topic, 2, 40))
    registry.apply(_key("b" * 64), Location(topic, 2, 42))
    # ...then its view of the topic reads the first one back
    registry.apply(_key("a" * 64), Location(topic, 2, 40))

    assert registry.key_hashes["fac-01"] == "b" * 64
    assert registry.owner_of("a" * 64) is None

    registry.apply(_key("c" * 64), Location(topic, 2, 44))  # a later record still wins
    assert registry.key_hashes["fac-01"] == "c" * 64
