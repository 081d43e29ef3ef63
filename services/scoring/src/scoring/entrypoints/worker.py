"""The scoring worker (faust-streaming): counts waste flows into per-cell totals.

Run: ``scoring-worker`` (console script), configured from the environment
(KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, SCORING_APP_ID, WORKER_WEB_PORT, ...; see
``scoring.settings``). Serves /healthz, /readyz and /metrics on WORKER_WEB_PORT.
``kill -USR1 <pid>`` logs the stack of every asyncio task (``zw_shared.task_dump``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys

import faust

from scoring.adapters.indicator_config import IndicatorSystemError
from scoring.bootstrap import build_worker, prepare_worker
from scoring.settings import ScoringSettings
from zw_shared import task_dump
from zw_shared.adapters.kafka_connect import bound_connection_setup


def main() -> None:
    settings = ScoringSettings()
    bound_connection_setup(settings.kafka_connect_timeout_s)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        app = build_worker(settings)
    except IndicatorSystemError as exc:
        logging.getLogger("scoring.worker").error("cannot start: %s", exc)
        sys.exit(2)
    prepare_worker(settings, app)
    tune_garbage_collector(settings.worker_gc_young_threshold)

    async def dump_tasks_on_sigusr1() -> None:
        task_dump.install(asyncio.get_running_loop())

    app.task(dump_tasks_on_sigusr1)
    worker = faust.Worker(app, loglevel=settings.log_level, redirect_stdouts=False)
    # faust's terminal spinner puts the root logger at DEBUG when the level is WARNING or
    # above, so that every library's debug record is built (and then dropped): costly.
    worker.spinner = None
    worker.execute_from_commandline()


def tune_garbage_collector(young_threshold: int) -> None:
    """Collects the young generation every ``young_threshold`` allocations (see
    ``ScoringSettings.worker_gc_young_threshold``), and leaves what start-up made (modules,
    schemas, the app: long-lived, without garbage) out of every later full collection."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
    gc.freeze()


if __name__ == "__main__":
    main()
