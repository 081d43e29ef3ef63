"""Runs the planned applications and manifests through hazardous-transfer's public API, each
act by its own party (identity headers from the caller's ``ActorHeaders``), dated when it
happened (``X-Occurred-At``) and retry-safe (``Idempotency-Key``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from zw_shared.simulation.http import JsonClient, UnexpectedAnswer
from zw_shared.simulation.intake_runner import in_parallel
from zw_shared.simulation.transfers import Application, ManifestPlan, TransferPlan

ActorHeaders = Callable[[str, str, str | None], dict[str, str]]
ORIGIN = "31"
DEEMED_ACCEPTANCE_ATTEMPTS = 3


class TransferRunner:
    def __init__(self, api: JsonClient, actor: ActorHeaders, run_id: str, workers: int = 6) -> None:
        self.api = api
        self.actor = actor
        self.run_id = run_id
        self.workers = workers
        self.application_ids: dict[str, str] = {}
        self.approval_ids: dict[str, str] = {}
        self.manifest_numbers: dict[str, str] = {}

    def run(self, plan: TransferPlan) -> None:
        in_parallel(self._apply, plan.applications, self.workers)
        in_parallel(self._ship, plan.manifests, self.workers)

    def _apply(self, app: Application) -> None:
        """A back-dated application may be deemed accepted by the node's deadline sweep
        between its submission and its acceptance (its completeness check ended long ago):
        then it is filed again, as a shipper would."""
        for attempt in range(DEEMED_ACCEPTANCE_ATTEMPTS):
            if self._try_application(app, f"{app.key}-a{attempt}"):
                return
        raise UnexpectedAnswer(f"application {app.key} was deemed accepted on every attempt")

    def _try_application(self, app: Application, key: str) -> bool:
        acts = _Acts(self, key, app.submitted_at)
        shipper = (app.shipper_id, "shipper", None)
        verdict = acts.post("/applications", shipper, {"details": app.details()}, (201,))
        app_id = verdict["record_id"]
        path = f"/applications/{app_id}"
        official = (f"official-{ORIGIN}", "official", ORIGIN)
        if app.corrections:
            acts.post(f"{path}/corrections", official, {"items": ["licence copy", "MSDS"]})
            acts.post(f"{path}/resubmission", shipper, {"details": app.details()})
        accepted = acts.call(f"{path}/acceptance", official)
        if accepted.status == 409:
            return False
        _check(accepted.status, accepted.body, path)
        acts.post(f"{path}/consultation", official)
        destination = (f"official-{app.destination}", "official", app.destination)
        answer = {"agreed": app.approved, "reasons": [] if app.approved else ["no capacity"]}
        acts.post(f"{path}/answer", destination, answer)
        if app.approved:
            acts.post(f"{path}/approval", official)
            record = self.api.expect("GET", path, (200,), headers=self.actor(*official))
            self.approval_ids[app.key] = record["approval"]["approval_id"]
        else:
            acts.post(f"{path}/refusal", official, {"reasons": ["the destination refused"]})
        self.application_ids[app.key] = app_id
        return True

    def _ship(self, manifest: ManifestPlan) -> None:
        acts = _Acts(self, manifest.key, manifest.drafted_at, spacing=timedelta(0))
        shipper = (manifest.shipper_id, "shipper", None)
        body = manifest.draft_body(self.approval_ids[manifest.application.key])
        number = acts.post("/manifests", shipper, body, (201,))["record_id"]
        self.manifest_numbers[manifest.key] = number
        for step in manifest.steps:
            party = (step.actor_id, step.role, None)
            acts.post(f"/manifests/{number}/{step.action}", party, step.body, at=step.at)


class _Acts:
    """The acts of one record, in order: each dated ``spacing`` after the previous one
    (unless given its own time) and keyed for retries by the run, the record and its
    position."""

    def __init__(
        self,
        runner: TransferRunner,
        key: str,
        start: datetime,
        spacing: timedelta = timedelta(minutes=1),
    ) -> None:
        self.runner, self.key, self.at, self.spacing = runner, key, start, spacing
        self.count = 0

    def call(
        self,
        path: str,
        party: tuple[str, str, str | None],
        body: Any = None,
        at: datetime | None = None,
    ) -> Any:
        when = at or self.at
        headers = {
            **self.runner.actor(*party),
            "X-Occurred-At": when.isoformat(),
            "Idempotency-Key": f"{self.runner.run_id}-{self.key}-{self.count}",
        }
        self.count += 1
        self.at = when + self.spacing
        return self.runner.api.call("POST", path, body, headers)

    def post(
        self,
        path: str,
        party: tuple[str, str, str | None],
        body: Any = None,
        statuses: tuple[int, ...] = (200,),
        at: datetime | None = None,
    ) -> Any:
        answer = self.call(path, party, body, at)
        _check(answer.status, answer.body, path, statuses)
        return answer.body


def _check(status: int, body: Any, path: str, statuses: tuple[int, ...] = (200,)) -> None:
    if status not in statuses:
        raise UnexpectedAnswer(f"POST {path} answered {status}: {body}")
