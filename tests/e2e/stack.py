"""The services as deployed, for end-to-end tests: handles on their APIs, and the admin
steps that let a facility post."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from zw_shared.testing.processes import ServiceProcess

ADMIN_TOKEN = f"e2e-{uuid.uuid4().hex}"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass(frozen=True)
class Stack:
    intake: httpx.Client
    scoring: httpx.Client
    prefix: str
    processes: dict[str, ServiceProcess]


def register_facility(intake: httpx.Client, facility_id: str, cell_id: str) -> dict[str, str]:
    """Registers a campus cell and one facility in it through the admin API; returns the
    facility's own authorisation header."""
    cell = {
        "cell_id": cell_id,
        "name": cell_id,
        "cell_type": "campus",
        "district": "Xuhui",
        "population": 1000,
    }
    answer = intake.put(f"/v1/admin/cells/{cell_id}", json=cell, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    facility = {
        "facility_id": facility_id,
        "name": facility_id,
        "facility_type": "generator",
        "district": "Xuhui",
        "province": "31",
        "cell_id": cell_id,
    }
    path = f"/v1/admin/facilities/{facility_id}"
    answer = intake.put(path, json=facility, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    key = intake.post(f"{path}/api-keys", headers=ADMIN)
    assert key.status_code == 201, key.text
    return {"Authorization": f"Bearer {key.json()['api_key']}"}


def service(
    name: str, argv: list[str], env: dict[str, str], port: int, ready_path: str = "/readyz"
) -> ServiceProcess:
    return ServiceProcess(argv, env, f"http://127.0.0.1:{port}{ready_path}", name=name)
