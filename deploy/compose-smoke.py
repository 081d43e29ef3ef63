"""Smoke test of a running compose stack: one waste flow from an HTTP POST to a score.

Run (after deploy/compose-up.sh): ``python3 deploy/compose-smoke.py``. Standard library only.
It registers a fresh cell and facility through waste-intake's admin API (token from
INTAKE_ADMIN_TOKEN, default the development token), issues the facility an API key, posts one
flow twice (202, then 200 "duplicate"), polls scoring's API until the cell's total shows the
flow once (as an official of Shanghai, with a token it signs with AUTH_TOKEN_SECRET, default
the development secret, as the services), and checks that Prometheus scrapes every target.
Exits 1 with the reason otherwise.
Env: INTAKE_URL, SCORING_URL, PROMETHEUS_URL (defaults: the published host ports, as moved by
WASTE_INTAKE_HOST_PORT, SCORING_HOST_PORT, PROMETHEUS_HOST_PORT), SMOKE_WAIT_S.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

INTAKE = os.environ.get(
    "INTAKE_URL", f"http://127.0.0.1:{os.environ.get('WASTE_INTAKE_HOST_PORT', '8001')}"
)
SCORING = os.environ.get(
    "SCORING_URL", f"http://127.0.0.1:{os.environ.get('SCORING_HOST_PORT', '8002')}"
)
PROMETHEUS = os.environ.get(
    "PROMETHEUS_URL", f"http://127.0.0.1:{os.environ.get('PROMETHEUS_HOST_PORT', '9090')}"
)
ADMIN_TOKEN = os.environ.get("INTAKE_ADMIN_TOKEN", "dev-admin-token")
# zw_shared.auth.DEVELOPMENT_TOKEN_SECRET: what the services use in development when unset
TOKEN_SECRET = os.environ.get("AUTH_TOKEN_SECRET") or (
    "development-only-token-secret-never-use-it-elsewhere"
)
WAIT_S = float(os.environ.get("SMOKE_WAIT_S", "60"))


def official_token(province: str = "31", ttl_s: int = 900) -> str:
    """A signed token (JWT, HS256) of an official, as ``zw-issue-token`` makes one."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"sub": "smoke-official", "role": "official", "province": province, "iat": now,
              "exp": now + ttl_s, "iss": "zero-waste-city", "aud": "zero-waste-city"}  # fmt: skip
    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signed = f"{header}.{part(json.dumps(claims).encode())}"
    signature = hmac.new(TOKEN_SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{part(signature)}"


def call(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def expect(what: str, got: tuple[int, Any], *statuses: int) -> Any:
    status, body = got
    if status not in statuses:
        sys.exit(f"[smoke] FAILED {what}: HTTP {status} {body}")
    print(f"[smoke] {what}: HTTP {status}")
    return body


def poll(what: str, probe: Any) -> Any:
    deadline = time.monotonic() + WAIT_S
    while (result := probe()) is None:
        if time.monotonic() > deadline:
            sys.exit(f"[smoke] FAILED {what} within {WAIT_S:.0f}s")
        time.sleep(0.5)
    print(f"[smoke] {what}")
    return result


def main() -> None:
    run = uuid.uuid4().hex[:8]
    cell, facility = f"smoke-cell-{run}", f"smoke-facility-{run}"
    cell_body = {
        "cell_id": cell,
        "name": "Smoke-test campus",
        "cell_type": "campus",
        "district": "Xuhui",
        "population": 1200,
    }
    facility_body = {
        "facility_id": facility,
        "name": "Smoke-test canteen",
        "facility_type": "generator",
        "district": "Xuhui",
        "province": "31",
        "cell_id": cell,
    }
    admin = f"{INTAKE}/v1/admin"
    expect("register cell", call("PUT", f"{admin}/cells/{cell}", cell_body, ADMIN_TOKEN), 200)
    expect(
        "register facility",
        call("PUT", f"{admin}/facilities/{facility}", facility_body, ADMIN_TOKEN),
        200,
    )
    issued = call("POST", f"{admin}/facilities/{facility}/api-keys", None, ADMIN_TOKEN)
    key = expect("issue API key", issued, 201)["api_key"]
    flow = {
        "event_id": f"smoke-{run}",
        "stage": "generated",
        "category": "household_wet",
        "quantity": 1.25,
        "unit": "t",
        "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    events = f"{INTAKE}/v1/facilities/{facility}/events"
    expect("post flow", call("POST", events, flow, key), 202)
    expect("post the same flow again", call("POST", events, flow, key), 200)

    official = official_token()

    def total() -> Any:
        status, body = call("GET", f"{SCORING}/v1/cells/{cell}/totals", token=official)
        return body if status == 200 and body.get("event_count") else None

    totals = poll("scoring shows the cell's total", total)
    if totals["event_count"] != 1 or totals["total_kg"] != 1250.0:
        sys.exit(f"[smoke] FAILED: expected one flow of 1250 kg, got {totals}")

    def all_up() -> Any:
        status, body = call("GET", f"{PROMETHEUS}/api/v1/targets")
        targets = body["data"]["activeTargets"] if status == 200 else []
        health = {t["labels"]["instance"]: t["health"] for t in targets}
        return health if health and set(health.values()) == {"up"} else None

    up = poll("prometheus scrapes every target", all_up)
    print(f"[smoke] OK: {totals['total_kg']} kg counted once; targets up: {sorted(up)}")


if __name__ == "__main__":
    main()
