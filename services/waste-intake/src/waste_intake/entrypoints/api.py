"""HTTP API of waste-intake: facilities report waste flows; each accepted flow is published
to Kafka and answered only after the broker acknowledged it. Admins register cells and
facilities and issue facility API keys.

Run: ``waste-intake-api`` (env: KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, API_HOST, API_PORT
(default 8001), INTAKE_ADMIN_TOKEN, PUBLISH_TIMEOUT_S, MAX_QUANTITY_KG, MAX_FUTURE_SKEW_S,
MAX_EVENT_AGE_DAYS, MAX_BATCH_ITEMS, MAX_BATCH_BYTES, MAX_RECENT_EVENTS, SUMMARY_TIMEZONE,
HAZARDOUS_CODE_TABLES, PRODUCER_TRANSACTIONAL_ID, VIEWS_FETCH_MIN_BYTES, VIEWS_FETCH_MAX_WAIT_MS).
/healthz, /readyz (ready when the broker answers and the registry and idempotency views have
caught up with their topics), /metrics, /docs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from waste_intake.bootstrap import ApiDeps, build_api_deps
from waste_intake.entrypoints.http_metrics import RouteMetrics
from waste_intake.entrypoints.responses import unavailable_response
from waste_intake.entrypoints.routes import admin, batches, events, queries
from zw_shared.adapters.kafka_connect import bound_connection_setup
from zw_shared.adapters.publisher import BrokerUnavailable
from zw_shared.observability import health_router
from zw_shared.openapi import declare_unreadable_bodies


def create_app(deps: ApiDeps) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await deps.publisher.start()
        await deps.views.start()
        try:
            yield
        finally:
            await deps.views.stop()
            await deps.publisher.stop()

    async def ready_check() -> dict[str, bool]:
        kafka = await deps.publisher.is_ready(deps.settings.readiness_timeout_s)
        return {"kafka": kafka, "views_caught_up": deps.views.caught_up}

    async def on_broker_unavailable(_: Request, exc: Exception) -> JSONResponse:
        return unavailable_response(str(exc))

    app = FastAPI(
        title="waste-intake",
        summary="Waste facilities report their waste flows (DOMAIN.md 2)",
        lifespan=lifespan,
    )
    app.state.deps = deps
    app.add_middleware(RouteMetrics)
    app.add_exception_handler(BrokerUnavailable, on_broker_unavailable)
    # Routes are matched in order: the single POST, by far the most frequent request, first.
    for module in (events, batches, queries, admin):
        app.include_router(module.router)
    app.include_router(health_router(ready_check))
    declare_unreadable_bodies(app)
    return app


def main() -> None:
    deps = build_api_deps()
    settings = deps.settings
    bound_connection_setup(settings.kafka_connect_timeout_s)
    uvicorn.run(
        create_app(deps),
        host=settings.api_host,
        port=settings.api_port,
        access_log=settings.api_access_log,
    )
