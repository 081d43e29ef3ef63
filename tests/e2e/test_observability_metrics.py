"""Every metric the Grafana dashboard and the alert rules query is exposed by a process of
the stack: the services (APIs and workers) and the lag exporter run as deployed against the
real broker, their /metrics are scraped, and each name in each PromQL expression is checked."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from tests.e2e.promql_names import exposed_names, metric_names
from tests.e2e.stack import Stack, service
from zw_shared.testing.kafka import free_port

ROOT = Path(__file__).parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "zero-waste-city.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up"}


def dashboard_expressions() -> dict[str, str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return {
        f"dashboard '{panel['title']}' {target['refId']}": target["expr"]
        for panel in panels
        for target in panel.get("targets", [])
    }


def alert_expressions() -> dict[str, str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return {f"alert {rule['alert']}": rule["expr"] for group in groups for rule in group["rules"]}


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return str(answer.read().decode())


@pytest.fixture(scope="module")
def metrics_urls(stack: Stack, kafka_bootstrap: str) -> Iterator[list[str]]:
    """/metrics of every process: the stack's three, plus the intake worker, a hazardous
    transfer worker and the lag exporter, started here on the stack's topics."""
    # The stack's own settings (broker, prefix, admin token, ...), without its ports.
    base = {**stack.processes["scoring-api"].env, **stack.processes["waste-intake-api"].env}
    base.pop("API_PORT", None)
    ports = {name: free_port() for name in ("intake-worker", "hazardous-worker", "exporter")}
    extra = [
        service("waste-intake-worker", ["waste-intake-worker"], {
            **base, "INTAKE_APP_ID": f"{stack.prefix}intake",
            "WORKER_WEB_HOST": "127.0.0.1", "WORKER_WEB_PORT": str(ports["intake-worker"]),
        }, ports["intake-worker"]),
        service("hazardous-transfer-worker", ["hazardous-transfer-worker"], {
            **base, "NODE_ID": "obs", "SERVED_PROVINCES": "31",
            "HAZARDOUS_APP_ID": f"{stack.prefix}hazardous-obs",
            "WORKER_WEB_HOST": "127.0.0.1", "WORKER_WEB_PORT": str(ports["hazardous-worker"]),
        }, ports["hazardous-worker"]),
        service("zw-lag-exporter", ["zw-lag-exporter"], {
            **base, "LAG_EXPORTER_HOST": "127.0.0.1", "LAG_EXPORTER_PORT": str(ports["exporter"]),
        }, ports["exporter"], ready_path="/metrics"),
    ]  # fmt: skip
    with ExitStack() as started, ThreadPoolExecutor(len(extra)) as pool:
        for process in extra:
            started.callback(process.stop)
        list(pool.map(lambda process: process.start(), extra))  # in parallel: each waits ready
        processes = [*stack.processes.values(), *extra]
        urls = [str(p.ready_url).rsplit("/", 1)[0] + "/metrics" for p in processes]
        yield urls


@pytest.fixture(scope="module")
def exposed(metrics_urls: list[str]) -> set[str]:
    names = set(SYNTHETIC)
    for url in metrics_urls:
        names |= exposed_names(scrape(url))
    return names


@pytest.mark.parametrize(
    ("where", "expr"), sorted({**dashboard_expressions(), **alert_expressions()}.items())
)
def test_each_query_of_the_dashboard_and_the_alerts_reads_only_exposed_metrics(
    where: str, expr: str, exposed: set[str]
) -> None:
    names = metric_names(expr)

    assert names, f"{where}: no metric found in {expr!r}"
    assert names <= exposed, f"{where} queries {sorted(names - exposed)}, which nothing exposes"


def test_the_dashboard_covers_ingest_rejects_lag_dead_letters_overdue_scores_and_latency() -> None:
    queried = set().union(*(metric_names(e) for e in dashboard_expressions().values()))

    assert {
        "waste_intake_events_total",
        "zw_consumer_lag",
        "zw_dead_letter_records",
        "hazardous_overdue_manifests",
        "scoring_month_mean_score",
        "scoring_month_cells",
        "http_request_duration_seconds_bucket",
        "up",
    } <= queried
