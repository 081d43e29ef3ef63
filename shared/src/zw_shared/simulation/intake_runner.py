"""Sends a planned day to waste-intake's public API (registry through the admin API, then
each facility's flows with its own key) and its assessments to scoring's API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from zw_shared.simulation.district import DistrictDay
from zw_shared.simulation.http import JsonClient, UnexpectedAnswer
from zw_shared.simulation.records import FlowReport

T = TypeVar("T")
R = TypeVar("R")
OfficialHeaders = Callable[[str], dict[str, str]]


def in_parallel(work: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, items))


class IntakeRunner:
    def __init__(
        self, intake: JsonClient, admin_token: str, workers: int = 8, batch_size: int = 500
    ) -> None:
        self.intake = intake
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.workers = workers
        self.batch_size = batch_size
        self.keys: dict[str, dict[str, str]] = {}
        self.outcomes: Counter[str] = Counter()

    def register(self, plan: DistrictDay) -> None:
        for cell in plan.cells:  # before their facilities
            self.intake.expect(
                "PUT", f"/v1/admin/cells/{cell.cell_id}", (200,), cell.body(), self.admin
            )

        def facility(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
            path = f"/v1/admin/facilities/{body['facility_id']}"
            self.intake.expect("PUT", path, (200,), body, self.admin)
            key = self.intake.expect("POST", f"{path}/api-keys", (201,), None, self.admin)
            return body["facility_id"], {"Authorization": f"Bearer {key['api_key']}"}

        bodies = [f.body() for f in plan.facilities]
        self.keys = dict(in_parallel(facility, bodies, self.workers))

    def post_flows(self, plan: DistrictDay) -> None:
        chunks = [
            (facility_id, reports[i : i + self.batch_size])
            for facility_id, reports in plan.batched.items()
            for i in range(0, len(reports), self.batch_size)
        ]
        in_parallel(lambda chunk: self._batch(*chunk), chunks, self.workers)
        in_parallel(lambda r: self._single(r, (202, 200)), plan.singles, self.workers)

    def amend(self, plan: DistrictDay) -> None:
        """Retries (answered 200 duplicate), then corrections and voids."""
        in_parallel(lambda r: self._single(r, (200,)), plan.repeats, self.workers)
        for fix in plan.corrections:
            path = self._events(fix.report.facility_id, f"/{fix.target_event_id}/corrections")
            self._record(path, fix.body(), fix.report.facility_id, (202, 200))
        for void in plan.voids:
            path = self._events(void.facility_id, f"/{void.target_event_id}/void")
            self._record(path, void.body(), void.facility_id, (202, 200))

    def assess(self, plan: DistrictDay, scoring: JsonClient, official: OfficialHeaders) -> None:
        for a in plan.assessments:
            path = f"/v1/cells/{a.cell_id}/assessments"
            scoring.expect("POST", path, (202,), a.body(), official("31"))
            self.outcomes["assessments accepted"] += 1

    def _batch(self, facility_id: str, reports: list[FlowReport]) -> None:
        path = self._events(facility_id, "/batch")
        answer = self.intake.call("POST", path, [r.body() for r in reports], self.keys[facility_id])
        body = answer.body
        counts = body.get("counts", {}) if isinstance(body, dict) else {}
        done = counts.get("accepted", 0) + counts.get("duplicate", 0)
        if answer.status != 200 or done != len(reports):
            problems = (
                [
                    r
                    for r in body.get("results", [])
                    if r.get("status") not in ("accepted", "duplicate")
                ]
                if isinstance(body, dict)
                else body
            )
            shown = problems[:5] if isinstance(problems, list) else problems
            raise UnexpectedAnswer(f"batch of {facility_id}: {answer.status} {shown}")
        self.outcomes.update({f"flows {k}": v for k, v in counts.items() if v})

    def _single(self, report: FlowReport, statuses: tuple[int, ...]) -> None:
        path = self._events(report.facility_id, "")
        self._record(path, report.body(), report.facility_id, statuses)

    def _record(
        self, path: str, body: dict[str, Any], facility_id: str, statuses: tuple[int, ...]
    ) -> None:
        answer = self.intake.expect("POST", path, statuses, body, self.keys[facility_id])
        self.outcomes[f"posts {answer.get('status', 'answered')}"] += 1

    @staticmethod
    def _events(facility_id: str, rest: str) -> str:
        return f"/v1/facilities/{facility_id}/events{rest}"
