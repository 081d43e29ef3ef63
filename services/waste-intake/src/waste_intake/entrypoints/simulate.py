"""Simulator: registers N facilities in M zero-waste cells and posts realistic daily waste
flows for them (seeded: the same arguments give the same cells, facilities and events).

Run: ``waste-intake-simulate --facilities 40 --cells 8 --days 7 --seed 42
--url http://127.0.0.1:8001`` (admin token from ``--admin-token`` or env INTAKE_ADMIN_TOKEN).
``--dry-run`` prints the events as NDJSON instead of posting them. Posting twice is safe:
the events keep their ids, so the second run reports them as duplicates.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from waste_intake.domain.simulation import Scenario, scenario


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="waste-intake-simulate", description=__doc__)
    parser.add_argument("--facilities", type=int, default=20)
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--end-date", type=date.fromisoformat, default=None, help="default: yesterday"
    )
    parser.add_argument("--url", default="http://127.0.0.1:8001")
    parser.add_argument("--admin-token", default=os.environ.get("INTAKE_ADMIN_TOKEN", ""))
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--dry-run", action="store_true")
    return parser.parse_args(argv)


def call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def register(built: Scenario, url: str, admin_token: str) -> dict[str, str]:
    """Registers every cell and facility; returns each facility's new API key."""
    for cell in built.cells:
        _ok(
            call(
                "PUT",
                f"{url}/v1/admin/cells/{cell.cell_id}",
                admin_token,
                cell.model_dump(mode="json"),
            )
        )
    keys = {}
    for facility in built.facilities:
        path = f"{url}/v1/admin/facilities/{facility.facility_id}"
        _ok(call("PUT", path, admin_token, facility.model_dump(mode="json")))
        keys[facility.facility_id] = _ok(call("POST", f"{path}/api-keys", admin_token))["api_key"]
    return keys


def post_all(built: Scenario, url: str, keys: dict[str, str], batch_size: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for facility_id, reports in built.reports.items():
        for start in range(0, len(reports), batch_size):
            chunk = reports[start : start + batch_size]
            path = f"{url}/v1/facilities/{facility_id}/events/batch"
            status, body = call("POST", path, keys[facility_id], chunk)
            if status not in (200, 503):
                raise SystemExit(f"batch for {facility_id} answered {status}: {body}")
            counts.update(body["counts"])
    return counts


def _ok(answer: tuple[int, Any]) -> Any:
    status, body = answer
    if status >= 300:
        raise SystemExit(f"the intake API answered {status}: {body}")
    return body


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    end = args.end_date or (datetime.now(UTC) - timedelta(days=1)).date()
    built = scenario(args.facilities, args.cells, args.days, args.seed, end)
    if args.dry_run:
        for facility_id, reports in built.reports.items():
            for report in reports:
                sys.stdout.write(json.dumps({"facility_id": facility_id, **report}) + "\n")
        return
    keys = register(built, args.url.rstrip("/"), args.admin_token)
    counts = post_all(built, args.url.rstrip("/"), keys, args.batch_size)
    summary = {"cells": len(built.cells), "facilities": len(built.facilities), **counts}
    print(json.dumps(summary))
