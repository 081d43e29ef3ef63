"""The worker's operational endpoints on faust's web server: /healthz, /readyz and the
Prometheus /metrics (faust's own sensors plus the scoring counters)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import faust
from faust import web
from faust.sensors.prometheus import PrometheusMonitor, setup_prometheus_sensors
from faust.types import TP

from scoring.adapters.broker_probe import BrokerProbe
from scoring.adapters.compacted_view import CompactedView


def add_operational_views(
    app: faust.App,
    probe: BrokerProbe,
    readiness_timeout_s: float,
    views: Sequence[CompactedView[Any]],
) -> None:
    setup_prometheus_sensors(app, name_prefix="scoring_worker")
    app.monitor = EndOffsetsOnChange(metrics=cast(Any, app.monitor)._metrics)

    @app.page("/healthz")
    async def healthz(self: web.View, request: web.Request) -> web.Response:
        return self.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(self: web.View, request: web.Request) -> web.Response:
        checks = await _checks(app, probe, readiness_timeout_s)
        checks["cell_registry_caught_up"] = all(view.caught_up for view in views)
        ready = all(checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        return self.json(body, status=200 if ready else 503)


class EndOffsetsOnChange(PrometheusMonitor):
    """faust's Prometheus sensors, with a partition's end offset (what consumer lag is
    measured against) recorded when it changes: faust's consumer records it for every record
    it reads, the same offset for the whole of a fetch, and labelling the gauge each time
    cost more than reading the record."""

    def track_tp_end_offset(self, tp: TP, offset: int) -> None:
        if self.tp_end_offsets.get(tp) != offset:
            super().track_tp_end_offset(tp, offset)


async def _checks(app: faust.App, probe: BrokerProbe, timeout_s: float) -> dict[str, bool]:
    return {
        "kafka": await probe.answers(timeout_s),
        "not_rebalancing": not app.rebalancing,
        "tables_recovered": _recovered(app),
    }


def _recovered(app: faust.App) -> bool:
    recovery = getattr(app.tables, "recovery", None)  # the TableManager's, not in its protocol
    return recovery is not None and bool(recovery.completed.is_set())
