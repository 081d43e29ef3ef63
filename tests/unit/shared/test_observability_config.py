"""The observability pieces of the compose stack fit together: the lag exporter runs and is
scraped, Prometheus loads the alert rules, Grafana is provisioned with a datasource the
dashboard names, and stays out of a plain `compose up` (its image needs a registry)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[3]
GRAFANA = ROOT / "deploy" / "grafana"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    found: dict[str, Any] = load(ROOT / "docker-compose.yml")["services"]
    return found


def test_the_lag_exporter_runs_in_the_services_image_and_prometheus_scrapes_it(
    services: dict[str, Any],
) -> None:
    exporter = services["lag-exporter"]
    config = load(ROOT / "deploy" / "prometheus" / "prometheus.yml")
    groups = [group for job in config["scrape_configs"] for group in job["static_configs"]]
    targets = {target for group in groups for target in group["targets"]}

    assert exporter["command"] == ["zw-lag-exporter"]
    assert exporter["image"] == services["scoring-api"]["image"]
    assert f"lag-exporter:{exporter['environment']['LAG_EXPORTER_PORT']}" in targets


def test_prometheus_loads_the_alert_rules_the_compose_file_mounts(
    services: dict[str, Any],
) -> None:
    config = load(ROOT / "deploy" / "prometheus" / "prometheus.yml")
    mounts = services["prometheus"]["volumes"]

    assert config["rule_files"] == ["alerts.yml"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_grafana_is_a_pinned_official_image_behind_the_observability_profile(
    services: dict[str, Any],
) -> None:
    grafana = services["grafana"]

    assert grafana["profiles"] == ["observability"]
    assert re.fullmatch(r"docker\.io/grafana/grafana-oss:\d+\.\d+\.\d+", grafana["image"])
    assert all("profiles" not in s for name, s in services.items() if name != "grafana")


def test_grafana_is_provisioned_with_the_datasource_and_folder_of_the_dashboard(
    services: dict[str, Any],
) -> None:
    binds = [v.rsplit(":", 1)[0] for v in services["grafana"]["volumes"] if v.startswith("./")]
    mounts = dict(bind.split(":", 1) for bind in binds)
    (datasource,) = load(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")[
        "datasources"
    ]
    (provider,) = load(GRAFANA / "provisioning" / "dashboards" / "zero-waste-city.yaml")[
        "providers"
    ]
    dashboard = json.loads((GRAFANA / "dashboards" / "zero-waste-city.json").read_text())
    uids = {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p}

    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert datasource["url"] == "http://prometheus:9090"
    assert uids == {datasource["uid"]}
    panel_ids = [p["id"] for p in dashboard["panels"]]
    assert len(panel_ids) == len(set(panel_ids))


def test_the_podman_start_script_waits_for_every_service_outside_a_profile(
    services: dict[str, Any],
) -> None:
    script = (ROOT / "deploy" / "compose-up.sh").read_text()
    staged = set(re.search(r"SERVICES=\(([^)]*)\)", script)[1].split())  # type: ignore[index]
    staged |= {"kafka", "prometheus", "topic-init"}

    assert {name for name, s in services.items() if "profiles" not in s} == staged
    assert "grafana" not in staged
