"""Sends a planned day through the three services' public APIs and returns what they must
show afterwards (the plan's expected results, with the ids the services gave)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zw_shared.simulation.district import DistrictDay
from zw_shared.simulation.expected import expected_results
from zw_shared.simulation.http import JsonClient
from zw_shared.simulation.intake_runner import IntakeRunner, OfficialHeaders
from zw_shared.simulation.transfer_runner import ActorHeaders, TransferRunner


@dataclass(frozen=True)
class Endpoints:
    intake: str
    scoring: str
    transfer: str


@dataclass(frozen=True)
class Identities:
    """How callers prove who they are: the intake admin API's token, and the headers of a
    hazardous-transfer actor and of an official reading or assessing cells."""

    admin_token: str
    actor: ActorHeaders
    official: OfficialHeaders


def simulate(
    plan: DistrictDay,
    endpoints: Endpoints,
    identities: Identities,
    run_id: str,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    assert plan.transfers is not None
    intake = IntakeRunner(JsonClient(endpoints.intake), identities.admin_token)
    transfers = TransferRunner(JsonClient(endpoints.transfer), identities.actor, run_id)
    timings: dict[str, float] = {}

    def timed(label: str, work: Callable[[], None]) -> None:
        began = time.monotonic()
        work()
        timings[label] = round(time.monotonic() - began, 2)
        log(f"{label}: {timings[label]}s")

    timed("register", lambda: intake.register(plan))
    timed("transfers", lambda: transfers.run(plan.transfers))  # type: ignore[arg-type]
    timed("flows", lambda: intake.post_flows(plan))
    timed("amendments", lambda: intake.amend(plan))
    timed(
        "assessments",
        lambda: intake.assess(plan, JsonClient(endpoints.scoring), identities.official),
    )
    expected = expected_results(plan, datetime.now(UTC))
    for key, number in transfers.manifest_numbers.items():
        expected["manifests"][key]["manifest_no"] = number
    expected["application_ids"] = transfers.application_ids
    expected["outcomes"] = dict(intake.outcomes)
    expected["timings_s"] = timings
    return expected
