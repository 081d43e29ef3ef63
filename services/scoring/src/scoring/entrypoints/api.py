"""The scoring API (FastAPI): cells' running totals, scores with their explanations,
histories and rankings, read from compacted topics and scored with the indicator system.

Run: ``scoring-api`` (console script), configured from the environment
(KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, API_HOST, API_PORT, INDICATOR_SYSTEM_PATH,
SCORING_TIMEZONE, SCORING_PROVINCE, AUTH_TOKEN_SECRET (required outside development); see
``scoring.settings`` and ``zw_shared.auth``). Every endpoint under /v1 is for the officials
of SCORING_PROVINCE (``Authorization: Bearer <token>`` or the dashboard's session). Serves
GET /v1/cells/{cell_id}/totals, /v1/cells/{cell_id}/scores[/{period}], /v1/rankings,
/v1/city/summary, the live updates /v1/events/stream (server-sent events), the session
of the dashboard (/v1/session), the officials' dashboard at /dashboard,
/healthz, /readyz and /metrics.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from scoring.adapters.indicator_config import IndicatorSystemError
from scoring.bootstrap import build_api
from scoring.settings import ScoringSettings
from zw_shared.adapters.kafka_connect import bound_connection_setup
from zw_shared.auth import auth_settings_or_exit

log = logging.getLogger("scoring.api")


def main() -> None:
    settings = ScoringSettings()
    bound_connection_setup(settings.kafka_connect_timeout_s)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        app = build_api(settings, auth_settings_or_exit())
    except IndicatorSystemError as exc:
        log.error("cannot start: %s", exc)
        sys.exit(2)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port)


if __name__ == "__main__":
    main()
