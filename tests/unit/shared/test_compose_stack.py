"""docker-compose.yml and the Prometheus configuration agree with the workspace they run."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[3]
APPS = (
    "waste-intake-api",
    "waste-intake-worker",
    "scoring-api",
    "scoring-worker",
    "hazardous-transfer-api",
    "hazardous-transfer-worker",
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


@pytest.fixture(scope="module")
def scrape_targets() -> set[str]:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    return {
        target
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }


def console_scripts() -> set[str]:
    scripts: set[str] = set()
    for pyproject in [ROOT / "shared" / "pyproject.toml", *ROOT.glob("services/*/pyproject.toml")]:
        scripts |= set(tomllib.loads(pyproject.read_text())["project"].get("scripts", {}))
    return scripts


def test_the_broker_is_the_official_image_of_the_pinned_kafka_version(
    compose: dict[str, Any],
) -> None:
    version = (ROOT / "deploy" / "kafka" / "VERSION").read_text().strip()
    assert compose["services"]["kafka"]["image"] == f"docker.io/apache/kafka:{version}"


def test_every_service_container_runs_a_declared_console_script(
    compose: dict[str, Any],
) -> None:
    declared = console_scripts()
    for name in (*APPS, "topic-init"):
        (script,) = compose["services"][name]["command"]
        assert script in declared, f"{name} runs {script!r}, which no pyproject declares"


def test_the_topics_are_provisioned_once_the_broker_is_healthy(compose: dict[str, Any]) -> None:
    depends = compose["services"]["topic-init"]["depends_on"]
    assert depends == {"kafka": {"condition": "service_healthy"}}


def test_apis_and_workers_start_after_the_topics_and_have_healthchecks(
    compose: dict[str, Any],
) -> None:
    for name in APPS:
        service = compose["services"][name]
        assert service["depends_on"]["topic-init"]["condition"] == (
            "service_completed_successfully"
        )
        assert "/readyz" in service["healthcheck"]["test"][-1], name


def test_prometheus_scrapes_every_api_and_worker_on_its_port(
    compose: dict[str, Any], scrape_targets: set[str]
) -> None:
    for name in APPS:
        env = compose["services"][name]["environment"]
        port = env.get("API_PORT") or env["WORKER_WEB_PORT"]
        assert f"{name}:{port}" in scrape_targets
