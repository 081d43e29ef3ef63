"""The Prometheus configuration, its alerting rules and the Grafana dashboard's queries,
checked by promtool from the project's own Prometheus image (built first when missing, with
deploy/build-images.sh: no registry needed): the configuration loads, every alert fires
and stays quiet as its unit tests (deploy/prometheus/alerts.test.yml) say, and every query
of the dashboard parses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "zero-waste-city.json"
Promtool = Callable[..., subprocess.CompletedProcess[str]]


def engine() -> str:
    chosen = os.environ.get("ENGINE") or ("podman" if shutil.which("podman") else "docker")
    assert shutil.which(chosen), f"no container engine ({chosen}) to run promtool in"
    return chosen


def ensure_image(engine: str, image: str) -> None:
    if subprocess.run([engine, "image", "inspect", image], capture_output=True).returncode == 0:
        return
    build = subprocess.run(
        ["bash", str(ROOT / "deploy" / "build-images.sh"), "prometheus"],
        env={**os.environ, "ENGINE": engine},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, f"building {image} failed:\n{build.stderr[-3000:]}"


@pytest.fixture(scope="module")
def promtool() -> Promtool:
    image = f"localhost/zw-prometheus:{os.environ.get('ZW_IMAGE_TAG', 'dev')}"
    runner = engine()
    ensure_image(runner, image)

    def run(*args: str, folder: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [runner, "run", "--rm", "--network=none", "--entrypoint", "promtool",
             "-v", f"{folder}:/etc/prometheus:ro,Z", "-w", "/etc/prometheus", image, *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


def readable(folder: Path) -> Path:
    """Lets promtool, which runs as the image's user ``prometheus``, read a test's folder."""
    folder.chmod(folder.stat().st_mode | 0o755)
    for path in folder.iterdir():
        path.chmod(path.stat().st_mode | 0o644)
    return folder


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of the dashboard."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(p["title"], t["expr"]) for p in panels for t in p.get("targets", [])]


def test_the_prometheus_configuration_and_its_rule_file_load(promtool: Promtool) -> None:
    checked = promtool("check", "config", "prometheus.yml")

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 1 rule files found" in checked.stdout


def test_every_alert_fires_and_stays_quiet_as_its_unit_tests_say(promtool: Promtool) -> None:
    tested = promtool("test", "rules", "alerts.test.yml")

    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_a_broken_alert_expectation_fails_the_rule_tests(
    promtool: Promtool, tmp_path: Path
) -> None:
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", tmp_path)
    tests = (PROMETHEUS_DIR / "alerts.test.yml").read_text()
    (tmp_path / "alerts.test.yml").write_text(tests.replace("is 11000 records", "is 1 record"))

    tested = promtool("test", "rules", "alerts.test.yml", folder=readable(tmp_path))

    assert tested.returncode != 0
    assert "ConsumerLagHigh" in tested.stdout + tested.stderr


def test_every_query_of_the_grafana_dashboard_parses(promtool: Promtool, tmp_path: Path) -> None:
    """promtool parses each query as the expression of a recording rule."""
    queries = dashboard_queries()
    rules = [
        {"record": f"dashboard:query_{n}", "expr": expr} for n, (_, expr) in enumerate(queries)
    ]
    (tmp_path / "dashboard.rules.yml").write_text(
        json.dumps({"groups": [{"name": "dashboard", "rules": rules}]})
    )

    checked = promtool("check", "rules", "dashboard.rules.yml", folder=readable(tmp_path))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(queries)} rules found" in checked.stdout
