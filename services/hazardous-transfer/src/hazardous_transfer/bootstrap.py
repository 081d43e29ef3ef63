"""Composition root: builds the objects each entrypoint needs from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from hazardous_transfer.adapters.code_tables import read_code_table
from hazardous_transfer.adapters.verdicts import VerdictListener
from hazardous_transfer.adapters.worker_client import WorkerClient
from hazardous_transfer.domain.policy import TransferPolicy, WhiteList
from hazardous_transfer.domain.provinces import ProvinceRegistry
from hazardous_transfer.domain.waste_codes import Catalogue
from hazardous_transfer.settings import HazardousSettings
from zw_shared.adapters.publisher import EventPublisher
from zw_shared.auth import AuthSettings
from zw_shared.auth_http import TokenGate
from zw_shared.contracts.hazardous import ApplicationStep, ManifestStep
from zw_shared.topics import HAZARDOUS_COMMAND_RESULTS


@dataclass(frozen=True)
class ApiDeps:
    settings: HazardousSettings
    publisher: EventPublisher
    verdicts: VerdictListener
    worker: WorkerClient
    gate: TokenGate


def build_policy(settings: HazardousSettings) -> TransferPolicy:
    tables = {name: read_code_table(path) for name, path in settings.waste_code_tables.items()}
    return TransferPolicy(
        provinces=ProvinceRegistry.from_config(settings.provinces),
        catalogue=Catalogue().with_tables(tables),
        white_list=WhiteList(tuple(settings.white_list)),
        application_limits={
            ApplicationStep.COMPLETENESS_CHECK: settings.completeness_check_days,
            ApplicationStep.REVIEW: settings.review_days,
            ApplicationStep.DESTINATION_ANSWER: settings.destination_answer_days,
            ApplicationStep.DECISION: settings.decision_days,
        },
        manifest_limits={
            ManifestStep.RECEIPT_CONFIRMATION: settings.receipt_confirmation_days,
            ManifestStep.PAPER_BACKFILL: settings.paper_backfill_days,
        },
        approval_validity_months=settings.approval_validity_months,
        quantity_tolerance=settings.quantity_tolerance,
    )


def build_api_deps(
    settings: HazardousSettings | None = None, auth: AuthSettings | None = None
) -> ApiDeps:
    settings = settings or HazardousSettings()
    gate = TokenGate(auth or AuthSettings())
    publisher = EventPublisher(
        settings.kafka_bootstrap_servers,
        settings.publish_timeout_s,
        client_id=f"{settings.hazardous_app_id}-api",
    )
    verdicts = VerdictListener(
        settings.kafka_bootstrap_servers,
        settings.topic(HAZARDOUS_COMMAND_RESULTS.name),
        settings.node_id,
    )
    worker = WorkerClient(settings.worker_url, settings.command_timeout_s)
    return ApiDeps(
        settings=settings, publisher=publisher, verdicts=verdicts, worker=worker, gate=gate
    )
