"""Composition root: builds the worker's faust app and the API from one settings object."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

import faust
from fastapi import FastAPI
from faust.exceptions import NotReady

from scoring.adapters.broker_probe import BrokerProbe
from scoring.adapters.change_feed import ChangeFeed
from scoring.adapters.changelogs import ensure_changelog_topics
from scoring.adapters.compacted_view import CompactedView, Latest, ViewConfig
from scoring.adapters.indicator_config import load_indicator_system
from scoring.adapters.month_flows_store import MonthFlowsStore
from scoring.entrypoints.access import Officials
from scoring.entrypoints.api_app import ApiDeps, create_api
from scoring.entrypoints.hazardous_agent import HazardousAgents
from scoring.entrypoints.totals_agent import ScoringAgents
from scoring.entrypoints.worker_app import create_worker_app
from scoring.entrypoints.worker_web import add_operational_views
from scoring.handlers import rebuild_index
from scoring.queries import ScoreBoard
from scoring.settings import ScoringSettings
from zw_shared.adapters.faust_app import watch_unread
from zw_shared.adapters.publisher import EventPublisher
from zw_shared.auth import AuthSettings
from zw_shared.auth_http import TokenGate
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated, CellTotalsUpdated
from zw_shared.contracts.waste import CellRegistered, FacilityRegistered
from zw_shared.topics import (
    CELL_ASSESSMENTS,
    CELL_MONTH_FLOWS,
    CELL_TOTALS,
    WASTE_CELLS,
    WASTE_FACILITIES,
    WASTE_FLOW_EVENTS,
)

log = logging.getLogger(__name__)


def build_worker(settings: ScoringSettings) -> faust.App:
    app = create_worker_app(settings)
    system = load_indicator_system(settings.indicator_system_path)
    cells: Latest[CellRegistered] = Latest()
    registry = CompactedView(
        _view_config(settings, f"{settings.scoring_app_id}-cells"),
        settings.topic(WASTE_CELLS.name),
        CellRegistered,
        cells,
    )
    app.task(registry.run)
    agents = ScoringAgents(app, settings, system, cells)
    scores = agents.scores

    async def publish_scores() -> None:
        await scores.run(agents.send_scores)

    async def rescore_partitions(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        # The tables are recovered: they hold the partitions the worker counts in.
        assigned, fresh = agents.assigned(app), agents.gained()
        try:
            owns, gained = await agents.owner(assigned), await agents.owner(fresh & assigned)
        except NotReady:  # the worker is stopping: its producer is gone
            return
        rebuild_index(agents.stores, owns)
        scores.keep_only(owns)  # the cells that went elsewhere are scored by their new owner
        # The partitions it kept are as it left them. Those it read from their changelogs
        # come from another worker (or an earlier life), which may have stopped mid-batch,
        # with scores due.
        try:  # a batch cut short by a crash: totals and months derived from the ledger
            await agents.repair(gained)
        except Exception:  # the rebalance goes on; the next one tries again
            log.exception("could not check the cells' totals against their ledger")
        scores.mark_all("rebalance", gained)  # what was due there is due again

    async def rescore_once_registry_read() -> None:
        # Counting can come before the registry is read (the waste flows are taken as soon
        # as they are fetched): a score due for a cell it did not know yet waits, and is
        # due again, as it was, once the registry has been read.
        await registry.wait_caught_up()
        log.info("registry read: %d scores due again", scores.mark_waiting())

    app.task(publish_scores)
    app.task(rescore_once_registry_read)
    watch_unread(app)  # a restarted faust worker was seen to read nothing, without an error
    # mode's Signal types its receivers as a union mypy cannot match an async def against
    app.on_rebalance_complete.connect(cast(Any, rescore_partitions))

    def rescore(cell_id: str) -> None:
        if registry.caught_up:  # at start, the rebalance marks every cell
            scores.mark_cell(cell_id, "registration")

    cells.on_change = rescore
    facilities = _facility_registry(app, settings, agents)
    probe = BrokerProbe(settings.kafka_bootstrap_servers, f"{settings.scoring_app_id}-probe")
    add_operational_views(app, probe, settings.readiness_timeout_s, [registry, facilities])
    return app


def _facility_registry(
    app: faust.App, settings: ScoringSettings, agents: ScoringAgents
) -> CompactedView[FacilityRegistered]:
    """Hazardous manifests count in the cell of their shipper, a registered facility."""
    registered: Latest[FacilityRegistered] = Latest()
    view = CompactedView(
        _view_config(settings, f"{settings.scoring_app_id}-facilities"),
        settings.topic(WASTE_FACILITIES.name),
        FacilityRegistered,
        registered,
    )
    app.task(view.run)
    HazardousAgents(app, settings, agents, view, registered)
    return view


def _view_config(settings: ScoringSettings, client_id: str) -> ViewConfig:
    return ViewConfig(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        poll_timeout_ms=settings.view_poll_timeout_ms,
        max_records=settings.view_max_records,
    )


def prepare_worker(settings: ScoringSettings, app: faust.App) -> None:
    """Creates the tables' changelog topics before the worker starts (see adapters)."""
    ensure_changelog_topics(
        settings.kafka_bootstrap_servers,
        [table.changelog_topic_name for table in app.tables.values()],
        partitions=WASTE_FLOW_EVENTS.partitions,
        replication_factor=settings.topic_replication_factor,
        wait_s=settings.worker_startup_timeout_s,
    )


def build_api(settings: ScoringSettings, auth: AuthSettings | None = None) -> FastAPI:
    config = _view_config(settings, "scoring-api")
    totals: Latest[CellTotalsUpdated] = Latest()
    cells: Latest[CellRegistered] = Latest()
    months = MonthFlowsStore()
    views: list[CompactedView[Any]] = [
        CompactedView(config, settings.topic(CELL_TOTALS.name), CellTotalsUpdated, totals),
        CompactedView(config, settings.topic(WASTE_CELLS.name), CellRegistered, cells),
        CompactedView(
            config, settings.topic(CELL_MONTH_FLOWS.name), CellPeriodFlowsUpdated, months
        ),
    ]
    system = load_indicator_system(settings.indicator_system_path)
    board = ScoreBoard(system, cells, months, today=lambda: datetime.now(settings.zone).date())
    return create_api(
        ApiDeps(
            views=views,
            totals=totals,
            board=board,
            probe=BrokerProbe(settings.kafka_bootstrap_servers, "scoring-api-probe"),
            publisher=EventPublisher(
                settings.kafka_bootstrap_servers, settings.publish_timeout_s, "scoring-api"
            ),
            assessments_topic=settings.topic(CELL_ASSESSMENTS.name),
            event_source=settings.event_source,
            readiness_timeout_s=settings.readiness_timeout_s,
            feed=ChangeFeed(
                settings.live_queue_size,
                settings.live_max_clients,
                settings.live_ping_s,
                settings.live_send_timeout_s,
            ),
            officials=Officials(
                TokenGate(auth or AuthSettings()),
                settings.scoring_province,
                settings.session_cookie_secure,
            ),
        )
    )
