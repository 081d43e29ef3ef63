"""Composition root: builds the objects each entrypoint needs from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from waste_intake.adapters.topic_views import RecordSink, TopicViews
from waste_intake.domain.catalogue import Catalogue, parse_table
from waste_intake.domain.flows import Limits
from waste_intake.domain.ledger import Ledger, Location
from waste_intake.domain.registry import Registry
from waste_intake.handlers.flows import FlowContext, FlowHandler
from waste_intake.handlers.registry import RegistryHandler, RegistryTopics
from waste_intake.settings import IntakeSettings
from zw_shared.adapters.publisher import EventPublisher
from zw_shared.contracts.envelope import CloudEvent
from zw_shared.contracts.registry import unwrap
from zw_shared.contracts.waste import (
    CellRegistered,
    FacilityCredentialIssued,
    FacilityRegistered,
    WasteFlowCorrected,
    WasteFlowRecorded,
    WasteFlowVoided,
)
from zw_shared.topics import (
    WASTE_CELLS,
    WASTE_FACILITIES,
    WASTE_FACILITY_CREDENTIALS,
    WASTE_FLOW_EVENTS,
)


@dataclass(frozen=True)
class ApiDeps:
    settings: IntakeSettings
    publisher: EventPublisher
    views: TopicViews
    registry: Registry
    ledger: Ledger
    flows: FlowHandler
    admin: RegistryHandler


def utc_now() -> datetime:
    return datetime.now(UTC)


def catalogue_of(settings: IntakeSettings) -> Catalogue:
    tables = {
        edition: parse_table(path.read_text(encoding="utf-8"))
        for edition, path in settings.hazardous_code_tables.items()
    }
    return Catalogue(tables=tables)


def limits_of(settings: IntakeSettings) -> Limits:
    return Limits(
        max_quantity_kg=settings.max_quantity_kg,
        max_future_skew=timedelta(seconds=settings.max_future_skew_s),
        max_age=timedelta(days=settings.max_event_age_days),
        catalogue=catalogue_of(settings),
    )


def registry_sink(registry: Registry) -> RecordSink:
    def sink(envelope: CloudEvent, location: Location) -> None:
        record = unwrap(envelope)
        if not isinstance(record, CellRegistered | FacilityRegistered | FacilityCredentialIssued):
            raise ValueError(f"{envelope.type} does not belong on a registry topic")
        registry.apply(record, location)

    return sink


def ledger_sink(ledger: Ledger) -> RecordSink:
    def sink(envelope: CloudEvent, location: Location) -> None:
        if ledger.lookup(envelope.id) is not None:  # this process's own write, applied on ack
            return
        event = unwrap(envelope)
        if not isinstance(event, WasteFlowRecorded | WasteFlowCorrected | WasteFlowVoided):
            raise ValueError(f"{envelope.type} does not belong on the flow topic")
        ledger.apply(event, location)

    return sink


def build_api_deps(settings: IntakeSettings | None = None) -> ApiDeps:
    settings = settings or IntakeSettings()
    client_id = f"{settings.intake_app_id}-api"
    publisher = EventPublisher(
        settings.kafka_bootstrap_servers,
        settings.publish_timeout_s,
        client_id=client_id,
        transactional_id=settings.producer_transactional_id,
        lanes=settings.publish_lanes,
    )
    registry, ledger = Registry(), Ledger()
    topics = RegistryTopics(
        cells=settings.topic(WASTE_CELLS.name),
        facilities=settings.topic(WASTE_FACILITIES.name),
        credentials=settings.topic(WASTE_FACILITY_CREDENTIALS.name),
    )
    flow_topic = settings.topic(WASTE_FLOW_EVENTS.name)
    sinks = {topic: registry_sink(registry) for topic in vars(topics).values()}
    views = TopicViews(
        settings.kafka_bootstrap_servers,
        {**sinks, flow_topic: ledger_sink(ledger)},
        client_id,
        already_applied=ledger.holds,
        fetch=(settings.views_fetch_min_bytes, settings.views_fetch_max_wait_ms),
    )
    flows = FlowHandler(
        FlowContext(
            publisher=publisher,
            flow_topic=flow_topic,
            limits=limits_of(settings),
            clock=utc_now,
            registry=registry,
            ledger=ledger,
            views_ready=lambda: views.caught_up,
        )
    )
    admin = RegistryHandler(publisher, topics, registry, utc_now)
    return ApiDeps(settings, publisher, views, registry, ledger, flows, admin)
