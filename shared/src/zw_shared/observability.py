"""Health, readiness and Prometheus metrics endpoints, the same on every service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.routing import Match

ReadyCheck = Callable[[], Awaitable[dict[str, bool]]]

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def health_router(ready_check: ReadyCheck) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: every dependency (the Kafka broker) answers",
        responses={503: {"description": "a dependency is not ready"}},
    )
    async def readyz(response: Response) -> dict[str, object]:
        checks = await ready_check()
        ready = all(checks.values())
        response.status_code = 200 if ready else 503
        return {"status": "ready" if ready else "not ready", "checks": checks}

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _route_of(request: Request) -> str:
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


class MetricsMiddleware(BaseHTTPMiddleware):
    """Counts requests and times them by route template (not by raw path: bounded labels)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        route = _route_of(request)
        with HTTP_LATENCY.labels(request.method, route).time():
            response = await call_next(request)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response
