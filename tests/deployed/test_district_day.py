"""A realistic day of a district against the stack as deployed: docker-compose.yml started by
the project's scripts (its own images, project name and ports), the day sent by the
simulator (zw_shared.simulation) through the public APIs only, and every figure the
simulator expects, from its own model of what it sent, read back through the public APIs:
exact totals per cell, each manifest's state, and which cells a veto disqualifies.

Needs podman prepared by deploy/podman/setup-host.sh (or Docker: ENGINE=docker) and the
network the image build needs (Debian mirror, PyPI); a fresh machine builds every image.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from district_stack import ROOT, ComposeStack, differences, poll, running_stack

from zw_shared.simulation.district import plan_day
from zw_shared.simulation.records import CST
from zw_shared.simulation.runner import Endpoints, Identities, simulate
from zw_shared.testing.identities import actor_headers, official_headers

pytestmark = [pytest.mark.deployed, pytest.mark.timeout(2700)]
WAIT_S = 300  # eventual consistency on a machine shared with other test suites
SEED = 20261124


@dataclass(frozen=True)
class Day:
    stack: ComposeStack
    expected: dict[str, Any]
    scoring: httpx.Client
    transfer: httpx.Client


def auth_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The stack's admin token, and one token secret for the simulator's identities and the
    stack's services: the stack gets this process's secret when the compose file passes
    AUTH_TOKEN_SECRET through; otherwise its services use the development default, and so
    does this process while the module runs."""
    env = {"INTAKE_ADMIN_TOKEN": f"district-day-{os.urandom(16).hex()}"}
    if "AUTH_TOKEN_SECRET" in (ROOT / "docker-compose.yml").read_text():
        secret = os.environ.get("AUTH_TOKEN_SECRET") or f"district-day-{os.urandom(16).hex()}"
        monkeypatch.setenv("AUTH_TOKEN_SECRET", secret)
        return {**env, "AUTH_TOKEN_SECRET": secret}
    monkeypatch.delenv("AUTH_TOKEN_SECRET", raising=False)
    return env


def report(config: pytest.Config, timings: dict[str, float], sent: dict[str, Any]) -> None:
    """The measured durations, on the terminal (past pytest's output capture)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    line = ", ".join(f"{label} {seconds}s" for label, seconds in timings.items())
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n[district day] {line}; sent {sent}")


@pytest.fixture(scope="module")
def day(request: pytest.FixtureRequest) -> Iterator[Day]:
    timings: dict[str, float] = {}
    sent: dict[str, Any] = {}
    try:
        with pytest.MonkeyPatch.context() as mp, running_stack(auth_env(mp)) as stack:
            timings = stack.timings_s
            plan = plan_day(datetime.now(UTC).astimezone(CST).date() - timedelta(days=1), SEED)
            endpoints = Endpoints(
                stack.url("WASTE_INTAKE_HOST_PORT"),
                stack.url("SCORING_HOST_PORT"),
                stack.url("HAZARDOUS_TRANSFER_HOST_PORT"),
            )
            admin_token = stack.env["INTAKE_ADMIN_TOKEN"]
            identities = Identities(admin_token, actor_headers, official_headers)
            began = time.monotonic()
            expected = simulate(plan, endpoints, identities, stack.project)
            timings["simulate"] = round(time.monotonic() - began, 1)
            sent = expected["sent"]
            began = time.monotonic()
            with (
                httpx.Client(
                    base_url=endpoints.scoring, headers=official_headers("31"), timeout=30
                ) as scoring,
                httpx.Client(
                    base_url=endpoints.transfer,
                    timeout=30,
                    headers=actor_headers("official-31", "official", "31"),
                ) as transfer,
            ):
                yield Day(stack, expected, scoring, transfer)
            timings["checks"] = round(time.monotonic() - began, 1)
    finally:
        report(request.config, timings, sent)


def test_every_cell_counts_exactly_the_flows_the_simulator_sent(day: Day) -> None:
    def mismatches() -> tuple[bool, dict[str, Any]]:
        found = {}
        for cell_id, want in day.expected["totals"].items():
            answer = day.scoring.get(f"/v1/cells/{cell_id}/totals")
            if answer.status_code == 404 and want["event_count"] == 0:
                continue  # scoring knows a cell's totals from its first counted flow on
            got = answer.json() if answer.status_code == 200 else {"status": answer.status_code}
            diff = differences(want, {k: got.get(k) for k in want})
            if diff:
                found[cell_id] = diff
        return not found, found

    assert poll("every cell's totals as sent", mismatches, WAIT_S) == {}


def test_every_manifest_ends_in_the_state_the_simulator_expects(day: Day) -> None:
    def mismatches() -> tuple[bool, dict[str, Any]]:
        found = {}
        for key, want in day.expected["manifests"].items():
            record = day.transfer.get(f"/manifests/{want['manifest_no']}").json()
            diff = differences(_manifest_view(want), _manifest_view_of(record))
            if diff:
                found[key] = diff
        return not found, found

    assert poll("every manifest's state", mismatches, WAIT_S) == {}


def test_applications_end_approved_or_refused_as_planned(day: Day) -> None:
    ids = day.expected["application_ids"]
    statuses = {
        key: day.transfer.get(f"/applications/{ids[key]}").json()["status"]
        for key in day.expected["applications"]
    }
    assert statuses == day.expected["applications"]


def test_vetoed_cells_and_only_they_are_disqualified_in_the_rankings(day: Day) -> None:
    for period in day.expected["periods"]:
        vetoed = sorted(day.expected["vetoes"].get(period, {}))

        def disqualified(
            period: str = period, vetoed: list[str] = vetoed
        ) -> tuple[bool, list[str]]:
            rows = day.scoring.get("/v1/rankings", params={"period": period}).json()["rows"]
            found = sorted(r["cell_id"] for r in rows if not r["qualified"])
            return found == vetoed, found

        assert poll(f"the disqualified cells of {period}", disqualified, WAIT_S) == vetoed


def test_each_vetoed_cell_names_the_veto_that_disqualifies_it(day: Day) -> None:
    for period, cells in day.expected["vetoes"].items():
        for cell_id, items in cells.items():
            score = day.scoring.get(f"/v1/cells/{cell_id}/scores/{period}").json()
            triggered = sorted(v["id"] for v in score["vetoes"] if v["triggered"])
            assert (score["band"], triggered) == ("disqualified", items), cell_id


def test_manifest_compliance_scores_follow_the_manifests_sent(day: Day) -> None:
    def mismatches() -> tuple[bool, dict[str, Any]]:
        found = {}
        for period, cells in day.expected["manifest_compliance"].items():
            for cell_id, want in cells.items():
                score = day.scoring.get(f"/v1/cells/{cell_id}/scores/{period}").json()
                (got,) = [
                    i["value"]
                    for i in score["indicators"]
                    if i["id"] == "hazardous_manifest_compliance"
                ]
                if differences({"value": want}, {"value": got}):
                    found[f"{period}/{cell_id}"] = {"expected": want, "actual": got}
        return not found, found

    assert poll("each cell's manifest compliance", mismatches, WAIT_S) == {}


def _manifest_view(want: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "status",
        "overdue_steps",
        "discrepancy_kinds",
        "declared_kg",
        "accepted_kg",
        "refused_kg",
    )
    return {k: want[k] for k in keys}


def _manifest_view_of(record: dict[str, Any]) -> dict[str, Any]:
    receipt = record.get("receipt") or {}
    return {
        "status": record.get("status"),
        "overdue_steps": sorted(record.get("overdue_steps", [])),
        "discrepancy_kinds": list((record.get("discrepancy") or {}).get("kinds", [])),
        "declared_kg": record["versions"][-1]["waste"]["quantity_kg"]
        if "versions" in record
        else None,
        "accepted_kg": receipt.get("accepted_kg"),
        "refused_kg": receipt.get("refused_kg"),
    }
