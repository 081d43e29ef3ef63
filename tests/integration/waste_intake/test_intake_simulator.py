"""The simulator against the API run as deployed (its console script, a real process): its
seeded flows pass every rule, and a second run is all duplicates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from intake_support import ADMIN_TOKEN

from waste_intake.domain.simulation import scenario
from waste_intake.entrypoints import simulate
from zw_shared.testing.kafka import free_port
from zw_shared.testing.processes import ServiceProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def api_url(kafka_bootstrap: str, provisioned_prefix: str) -> Iterator[str]:
    port = free_port()
    env = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": provisioned_prefix,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(port),
        "INTAKE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    url = f"http://127.0.0.1:{port}"
    with ServiceProcess(["waste-intake-api"], env, f"{url}/readyz", name="waste-intake-api"):
        yield url


async def test_simulated_flows_are_all_accepted_and_a_rerun_is_all_duplicates(
    api_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--facilities", "8", "--cells", "2", "--days", "2", "--seed", "7"]
    args += ["--url", api_url, "--admin-token", ADMIN_TOKEN]
    end = (datetime.now(UTC) - timedelta(days=1)).date()
    expected = scenario(8, 2, 2, 7, end).report_count

    await asyncio.to_thread(simulate.main, args)
    await asyncio.to_thread(simulate.main, args)

    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["accepted"] == expected
    assert (first["rejected"], first["conflict"]) == (0, 0)
    assert second["duplicate"] == expected
