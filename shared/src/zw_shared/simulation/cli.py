"""zw-simulate-day: a realistic, seeded day of a district sent through the public APIs of a
running stack (waste-intake, scoring, hazardous-transfer); prints (or writes) what the
services must show afterwards, computed from what was sent.

Run against the compose stack (deploy/compose-up.sh):
    zw-simulate-day --seed 7 --output /tmp/expected.json
    zw-simulate-day --dry-run            # the plan's expected results, nothing sent
Options: --day (default: yesterday in Shanghai; at most 3 days back, so that back-dated
acts stay within hazardous-transfer's 30-day limit), --cells, --facilities, --namespace
(prefix of every id), --intake-url / --scoring-url / --transfer-url (defaults: the
published host ports, moved by WASTE_INTAKE_HOST_PORT, SCORING_HOST_PORT,
HAZARDOUS_TRANSFER_HOST_PORT). The intake admin token comes from INTAKE_ADMIN_TOKEN (default
the development token); identity headers from zw_shared.testing.identities.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from zw_shared.simulation.district import plan_day
from zw_shared.simulation.expected import expected_results
from zw_shared.simulation.records import CST
from zw_shared.simulation.runner import Endpoints, Identities, simulate
from zw_shared.testing.identities import actor_headers, official_headers

MAX_DAYS_BACK = 3


def _url(env_port: str, default_port: int) -> str:
    return f"http://127.0.0.1:{os.environ.get(env_port, default_port)}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="zw-simulate-day",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--day", type=date.fromisoformat, default=None)
    parser.add_argument("--cells", type=int, default=36)
    parser.add_argument("--facilities", type=int, default=300)
    parser.add_argument("--namespace", default="dd")
    parser.add_argument("--intake-url", default=_url("WASTE_INTAKE_HOST_PORT", 8001))
    parser.add_argument("--scoring-url", default=_url("SCORING_HOST_PORT", 8002))
    parser.add_argument("--transfer-url", default=_url("HAZARDOUS_TRANSFER_HOST_PORT", 8003))
    parser.add_argument("--output", default="-", help="a file for the JSON (default stdout)")
    parser.add_argument("--dry-run", action="store_true")
    return parser.parse_args(argv)


def the_day(asked: date | None, now: datetime) -> date:
    today = now.astimezone(CST).date()
    day = asked or today - timedelta(days=1)
    if not today - timedelta(days=MAX_DAYS_BACK) <= day < today:
        raise SystemExit(f"--day must be one of the {MAX_DAYS_BACK} days before {today}")
    return day


def run(args: argparse.Namespace) -> dict[str, Any]:
    now = datetime.now(UTC)
    plan = plan_day(the_day(args.day, now), args.seed, args.cells, args.facilities, args.namespace)
    if args.dry_run:
        return expected_results(plan, now)
    identities = Identities(
        admin_token=os.environ.get("INTAKE_ADMIN_TOKEN", "dev-admin-token"),
        actor=actor_headers,
        official=official_headers,
    )
    endpoints = Endpoints(args.intake_url, args.scoring_url, args.transfer_url)
    run_id = f"{args.namespace}-{args.seed}-{plan.day:%Y%m%d}"
    return simulate(plan, endpoints, identities, run_id, log=lambda m: print(m, file=sys.stderr))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = json.dumps(run(args), indent=2, ensure_ascii=False)
    if args.output == "-":
        print(result)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(result + "\n")
