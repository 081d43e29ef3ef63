"""HTTP API of a hazardous-transfer province node.

Run: ``hazardous-transfer-api`` (env: KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, NODE_ID,
SERVED_PROVINCES, WORKER_URL (this node's worker, or its workers comma-separated), API_HOST,
API_PORT (default 8003), AUTH_TOKEN_SECRET (required outside development; see zw_shared.auth)).
Callers send ``Authorization: Bearer <token>`` (``zw-issue-token``).
Commands are answered once the owner node recorded them; reads come from the node's worker.
/healthz, /readyz (ready when the broker answers and verdicts can be read) and /metrics.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from hazardous_transfer.bootstrap import ApiDeps, build_api_deps
from hazardous_transfer.entrypoints.routes import applications, manifests
from zw_shared.adapters.kafka_connect import bound_connection_setup
from zw_shared.auth import auth_settings_or_exit
from zw_shared.observability import MetricsMiddleware, health_router
from zw_shared.openapi import declare_unreadable_bodies


def create_app(deps: ApiDeps) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.deps = deps
        await deps.publisher.start()
        await deps.verdicts.start()
        await deps.worker.start()
        try:
            yield
        finally:
            await deps.verdicts.stop()
            await deps.publisher.stop()
            await deps.worker.stop()

    async def ready_check() -> dict[str, bool]:
        kafka = await deps.publisher.is_ready(deps.settings.readiness_timeout_s)
        return {"kafka": kafka, "verdicts": deps.verdicts.ready}

    app = FastAPI(
        title="hazardous-transfer",
        summary="Inter-provincial hazardous-waste transfer approvals and manifests (联单)",
        lifespan=lifespan,
    )
    app.add_middleware(MetricsMiddleware)
    app.include_router(health_router(ready_check))
    app.include_router(applications.router)
    app.include_router(manifests.router)
    declare_unreadable_bodies(app)
    return app


def main() -> None:
    deps = build_api_deps(auth=auth_settings_or_exit())
    bound_connection_setup(deps.settings.kafka_connect_timeout_s)
    uvicorn.run(create_app(deps), host=deps.settings.api_host, port=deps.settings.api_port)
