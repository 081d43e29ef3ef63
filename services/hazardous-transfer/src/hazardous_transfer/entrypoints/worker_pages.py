"""The worker's read endpoints: the records of this node, straight from its tables. The
node's API answers its clients from these.

While the tables are being restored (a worker starting, or taking partitions over) a
record not found may be one not restored yet: every page then answers 503 with
``Retry-After``, never 404 for a record the node has recorded. A standby worker (it holds
copies of the tables, which may lag the active worker's) answers 421: the API then asks the
node's other workers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

import faust
from faust.web import Request, Response, View
from pydantic import ValidationError

from hazardous_transfer.adapters.faust_app import tables_recovered
from hazardous_transfer.adapters.one_active import is_active
from hazardous_transfer.adapters.tables import Tables
from hazardous_transfer.adapters.worker_client import STANDBY_STATUS
from hazardous_transfer.service.queries import (
    Search,
    public,
    search_applications,
    search_manifests,
)

Page = Callable[..., Awaitable[Response]]
CATCHING_UP = {"detail": "the node's worker is restoring its records; retry shortly"}
STANDBY = {"detail": "this worker is a standby of the node; its active worker answers"}


def add_record_pages(app: faust.App, tables: Tables, retry_after_s: int = 1) -> None:
    def when_recovered(page: Page) -> Page:
        @wraps(page)
        async def guarded(self: View, request: Request, **params: str) -> Response:
            if not is_active(app):
                return self.json(STANDBY, status=STANDBY_STATUS)
            if not tables_recovered(app):
                headers = {"Retry-After": str(retry_after_s)}
                return self.json(CATCHING_UP, status=503, headers=headers)
            return await page(self, request, **params)

        return guarded

    @app.page("/records/applications/{application_id}")
    @when_recovered
    async def application(self: View, request: Request, application_id: str) -> Response:
        # The stored document as it is (written by the worker from a validated record).
        found = tables.records().application_document(application_id)
        if found is None:
            return self.json({"detail": f"no application {application_id}"}, status=404)
        return self.json(public(found))

    @app.page("/records/manifests/{manifest_no}")
    @when_recovered
    async def manifest(self: View, request: Request, manifest_no: str) -> Response:
        found = tables.records().manifest_document(manifest_no)
        if found is None:
            return self.json({"detail": f"no manifest {manifest_no}"}, status=404)
        return self.json(public(found))

    @app.page("/records/applications")
    @when_recovered
    async def applications(self: View, request: Request) -> Response:
        try:
            search = Search.model_validate(dict(request.query))
        except ValidationError as exc:
            return self.json({"detail": exc.errors(include_url=False)}, status=422)
        return self.json(search_applications(tables.records().application_documents(), search))

    @app.page("/records/manifests")
    @when_recovered
    async def manifests(self: View, request: Request) -> Response:
        try:
            search = Search.model_validate(dict(request.query))
        except ValidationError as exc:
            return self.json({"detail": exc.errors(include_url=False)}, status=422)
        return self.json(search_manifests(tables.records().manifest_documents(), search))
