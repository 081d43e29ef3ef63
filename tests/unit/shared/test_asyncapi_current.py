"""The checked-in AsyncAPI document is the one the registries generate, and it is well formed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from zw_shared import asyncapi
from zw_shared.topics import TOPICS, Cleanup, TopicSpec

CHECKED_IN = Path(__file__).parents[3] / "docs" / "asyncapi.yaml"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi.build_document()


def a_topic(**overrides: Any) -> TopicSpec:
    fields: dict[str, Any] = {
        "name": "test.things.v1",
        "owner": "tester",
        "partitions": 1,
        "cleanup": Cleanup.DELETE,
        "retention_ms": -1,
        "key": "thing_id",
        "event_types": (),
        "description": "things",
    }
    return TopicSpec(**(fields | overrides))


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in refs(item)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_checked_in_document_equals_the_generated_one() -> None:
    assert CHECKED_IN.exists(), "docs/asyncapi.yaml is missing: run `uv run zw-asyncapi`"
    assert CHECKED_IN.read_text(encoding="utf-8") == asyncapi.generate(), (
        "docs/asyncapi.yaml is stale: run `uv run zw-asyncapi` and commit it"
    )


def test_generating_twice_gives_the_same_text() -> None:
    assert asyncapi.generate() == asyncapi.generate()


def test_the_document_is_asyncapi_3_with_one_channel_per_registry_topic(
    document: dict[str, Any],
) -> None:
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {spec.name for spec in TOPICS}


def test_each_channel_lists_the_event_types_its_topic_carries(document: dict[str, Any]) -> None:
    for spec in TOPICS:
        channel = document["channels"][asyncapi.identifier(spec.name)]
        names = {resolve(document, m["$ref"])["name"] for m in channel["messages"].values()}
        assert names == (set(spec.event_types) or {asyncapi.UNREADABLE})


def test_each_topic_is_sent_by_its_owner_service(document: dict[str, Any]) -> None:
    for spec in TOPICS:
        channel_id = asyncapi.identifier(spec.name)
        operation = document["operations"][f"{spec.owner}_sends_{channel_id}"]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{channel_id}"}


def test_the_readers_of_a_topic_have_receive_operations(document: dict[str, Any]) -> None:
    operation = document["operations"]["scoring_receives_waste_flow-events_v1"]
    assert operation["action"] == "receive"
    assert resolve(document, operation["channel"]["$ref"])["address"] == "waste.flow-events.v1"


def test_every_reference_in_the_document_resolves(document: dict[str, Any]) -> None:
    for ref in refs(document):
        assert resolve(document, ref) is not None, ref


def test_a_message_is_a_cloudevent_envelope_around_its_payload_schema(
    document: dict[str, Any],
) -> None:
    message = document["components"]["messages"]["waste_flow_recorded"]
    envelope, specifics = message["payload"]["allOf"]
    assert envelope == {"$ref": "#/components/schemas/CloudEvent"}
    assert specifics["properties"]["type"] == {"const": "waste.flow.recorded"}
    assert specifics["properties"]["data"] == {"$ref": "#/components/schemas/WasteFlowRecorded"}
    assert message["x-upcast-from-versions"] == [1]
    assert message["bindings"]["kafka"]["key"]["description"] == "cell_id"


def test_a_topic_carrying_an_unregistered_event_type_is_refused() -> None:
    topic = a_topic(event_types=("test.thing.vanished",))
    with pytest.raises(asyncapi.RegistryError, match=r"test\.thing\.vanished"):
        asyncapi.build_document(topics=[topic])


def test_check_mode_fails_on_a_stale_file_and_passes_on_a_current_one(tmp_path: Path) -> None:
    path = tmp_path / "asyncapi.yaml"
    path.write_text("asyncapi: 2.6.0\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stale:
        asyncapi.main(["--check", "--output", str(path)])
    assert stale.value.code == 1
    asyncapi.main(["--output", str(path)])
    asyncapi.main(["--check", "--output", str(path)])
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["asyncapi"] == "3.0.0"
