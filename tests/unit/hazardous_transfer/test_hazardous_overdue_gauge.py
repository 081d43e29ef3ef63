"""The overdue-manifests gauge of the transfer worker: delivered manifests of the node's own
provinces with an overdue receipt, counted from the stored documents at each scrape."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from hazardous_transfer.adapters.metrics import OverdueManifests


def a_manifest(origin: str, status: str, overdue: list[str]) -> dict[str, Any]:
    return {"origin_province": origin, "status": status, "overdue_steps": overdue}


def scraped(collector: OverdueManifests) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(collector)
    lines = generate_latest(registry).decode().splitlines()
    return {
        name: float(value)
        for name, value in (line.rsplit(" ", 1) for line in lines if not line.startswith("#"))
    }


def test_only_delivered_overdue_manifests_of_served_provinces_are_counted() -> None:
    documents = [
        a_manifest("32", "delivered", ["receipt_confirmation"]),
        a_manifest("32", "delivered", ["receipt_confirmation"]),
        a_manifest("32", "delivered", []),  # delivered, still within its time limit
        a_manifest("32", "received", ["receipt_confirmation"]),  # confirmed late: settled
        a_manifest("44", "delivered", ["receipt_confirmation"]),  # a replica of another node's
    ]
    collector = OverdueManifests()
    collector.watch(lambda: documents, frozenset({"31", "32"}))

    assert scraped(collector) == {
        'hazardous_overdue_manifests{origin_province="31"}': 0,
        'hazardous_overdue_manifests{origin_province="32"}': 2,
    }


def test_the_count_follows_the_documents_at_each_scrape() -> None:
    documents: list[dict[str, Any]] = []
    collector = OverdueManifests()
    collector.watch(lambda: documents, frozenset({"31"}))
    before = scraped(collector)

    documents.append(a_manifest("31", "delivered", ["receipt_confirmation"]))

    assert before == {'hazardous_overdue_manifests{origin_province="31"}': 0}
    assert scraped(collector) == {'hazardous_overdue_manifests{origin_province="31"}': 1}


def test_a_standby_worker_reports_no_count_of_its_own() -> None:
    collector = OverdueManifests()
    collector.watch(lambda: None, frozenset({"31", "32"}))  # a standby: no documents of its own

    assert scraped(collector) == {}
