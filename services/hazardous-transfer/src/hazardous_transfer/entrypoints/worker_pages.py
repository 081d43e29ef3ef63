"""The worker's read endpoints: the records of this node, straight from its tables. The
node's API answers its clients from these."""

from __future__ import annotations

import faust
from faust.web import Request, Response, View
from pydantic import ValidationError

from hazardous_transfer.adapters.tables import Tables
from hazardous_transfer.service.queries import (
    Search,
    public,
    search_applications,
    search_manifests,
)


def add_record_pages(app: faust.App, tables: Tables) -> None:
    @app.page("/records/applications/{application_id}")
    async def application(self: View, request: Request, application_id: str) -> Response:
        # The stored document as it is (written by the worker from a validated record).
        found = tables.records().application_document(application_id)
        if found is None:
            return self.json({"detail": f"no application {application_id}"}, status=404)
        return self.json(public(found))

    @app.page("/records/manifests/{manifest_no}")
    async def manifest(self: View, request: Request, manifest_no: str) -> Response:
        found = tables.records().manifest_document(manifest_no)
        if found is None:
            return self.json({"detail": f"no manifest {manifest_no}"}, status=404)
        return self.json(public(found))

    @app.page("/records/applications")
    async def applications(self: View, request: Request) -> Response:
        try:
            search = Search.model_validate(dict(request.query))
        except ValidationError as exc:
            return self.json({"detail": exc.errors(include_url=False)}, status=422)
        return self.json(search_applications(tables.records().application_documents(), search))

    @app.page("/records/manifests")
    async def manifests(self: View, request: Request) -> Response:
        try:
            search = Search.model_validate(dict(request.query))
        except ValidationError as exc:
            return self.json({"detail": exc.errors(include_url=False)}, status=422)
        return self.json(search_manifests(tables.records().manifest_documents(), search))
