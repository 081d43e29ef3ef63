"""A district's cross-province hazardous-waste transfers for one day: the applications that
approve them and a few dozen manifests (联单) with every ending a day can bring (pure).

Each shipping facility (in Shanghai, 31) has one approval to ship one kind of waste to one
receiver in Jiangsu, Zhejiang or Anhui; two more applications are refused by the
destination province, and one is corrected before it is accepted. Manifests that must be
overdue by now happened earlier: their acts carry the time they happened (hazardous-
transfer's back-dating header), so their approvals were decided earlier too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from zw_shared.simulation.manifest_steps import Step, steps_of
from zw_shared.simulation.records import CST

# code -> (category, name, form, packaging)
HAZARDOUS_CODES = {
    "900-041-49": ("HW49", "废包装桶 contaminated drums", "solid", "steel drums"),
    "900-249-08": ("HW08", "废矿物油 waste mineral oil", "liquid", "IBC totes"),
    "336-064-17": ("HW17", "表面处理废物 plating sludge", "semi_solid", "ton bags"),
    "900-402-06": ("HW06", "废有机溶剂 spent solvents", "liquid", "steel drums"),
}
DESTINATIONS = ("32", "33", "34")
BACKDATED_APPROVAL_DAYS = 25  # approvals of manifests that happened weeks ago
OVERDUE_DELIVERY_DAYS = 20  # delivered this long ago and never confirmed
PAPER_ISSUED_DAYS = 24  # a paper manifest entered this long after it was issued


class Fate(StrEnum):
    """How a manifest's day ends."""

    CLOSED = "closed"  # received in full, processed
    RELAY_CLOSED = "relay_closed"  # two carriers, a handover between them
    RECEIVED_ONLY = "received_only"  # received, not processed yet
    WEIGHT_DISCREPANCY = "weight_discrepancy"  # 12 % less arrived
    WEIGHT_WITHIN_TOLERANCE = "weight_within_tolerance"  # 2 % less: no discrepancy
    PARTIAL_REFUSAL = "partial_refusal"
    FULL_REFUSAL = "full_refusal"
    REFUSAL_CORRECTED_AWAY = "refusal_corrected_away"  # the receipt corrected to no refusal
    RECEIPT_CORRECTED_TO_REFUSAL = "receipt_corrected_to_refusal"
    DECLARATION_CORRECTED = "declaration_corrected"  # the shipper's new quantity
    OVERDUE_RECEIPT = "overdue_receipt"  # delivered weeks ago, never confirmed
    LATE_PAPER_BACKFILL = "late_paper_backfill"  # a paper manifest entered too late
    IN_TRANSIT = "in_transit"
    AWAITING_RECEIPT = "awaiting_receipt"  # delivered, within the receiver's deadline


BACKDATED = frozenset({Fate.OVERDUE_RECEIPT, Fate.LATE_PAPER_BACKFILL})
# Shippers by the type of their cell, and the manifests each ships that day.
SHIPMENTS: dict[str, tuple[Fate, ...]] = {
    "factory": (Fate.CLOSED, Fate.CLOSED, Fate.OVERDUE_RECEIPT, Fate.RECEIPT_CORRECTED_TO_REFUSAL),
    "industrial_park": (Fate.CLOSED, Fate.RELAY_CLOSED, Fate.WEIGHT_DISCREPANCY, Fate.CLOSED),
    "hospital": (Fate.LATE_PAPER_BACKFILL, Fate.CLOSED, Fate.IN_TRANSIT, Fate.AWAITING_RECEIPT),
    "campus": (Fate.PARTIAL_REFUSAL, Fate.CLOSED, Fate.RELAY_CLOSED, Fate.RECEIVED_ONLY),
    "enterprise_group": (
        Fate.REFUSAL_CORRECTED_AWAY,
        Fate.WEIGHT_WITHIN_TOLERANCE,
        Fate.DECLARATION_CORRECTED,
        Fate.CLOSED,
    ),
    "community": (Fate.OVERDUE_RECEIPT, Fate.FULL_REFUSAL, Fate.CLOSED),
    "shopping_mall": (Fate.CLOSED, Fate.RELAY_CLOSED, Fate.WEIGHT_DISCREPANCY),
    "hotel": (Fate.FULL_REFUSAL, Fate.CLOSED, Fate.RECEIVED_ONLY),
    "government_office": (Fate.CLOSED, Fate.PARTIAL_REFUSAL, Fate.CLOSED),
}


@dataclass(frozen=True)
class Application:
    key: str
    shipper_id: str
    receiver_id: str
    destination: str
    waste_code: str
    submitted_at: datetime  # every act of the application follows within minutes
    approved: bool = True  # False: the destination refuses, then the origin refuses
    corrections: bool = False  # the origin asks for corrections first

    def details(self) -> dict[str, Any]:
        category, name, _, _ = HAZARDOUS_CODES[self.waste_code]
        first = self.submitted_at.date() - timedelta(days=1)
        return {
            "shipper_id": self.shipper_id,
            "receiver_id": self.receiver_id,
            "origin_province": "31",
            "origin_prefecture": "01",
            "destination_province": self.destination,
            "waste_code": self.waste_code,
            "waste_category": category,
            "waste_name": name,
            "quantity_kg": 500_000,
            "method": "D10",
            "requested_from": first.isoformat(),
            "requested_until": (first + timedelta(days=300)).isoformat(),
            "receiver_licence": {
                "licence_no": f"LIC-{self.receiver_id}",
                "covers": [category, self.waste_code],
                "valid_until": (first + timedelta(days=730)).isoformat(),
            },
        }


@dataclass(frozen=True)
class ManifestPlan:
    key: str
    fate: Fate
    shipper_id: str
    cell_id: str
    cell_type: str
    application: Application
    carriers: tuple[str, ...]
    declaration: dict[str, Any]
    drafted_at: datetime  # when the shipper drafted it (or entered the paper manifest)
    paper_issued_on: date | None
    steps: tuple[Step, ...]

    def draft_body(self, approval_id: str) -> dict[str, Any]:
        app = self.application
        return {
            "shipper_id": self.shipper_id,
            "receiver_id": app.receiver_id,
            "carriers": list(self.carriers),
            "origin_province": "31",
            "origin_prefecture": "01",
            "destination_province": app.destination,
            "waste": self.declaration,
            "method": "D10",
            "approval_id": approval_id,
            "paper_issued_on": self.paper_issued_on.isoformat() if self.paper_issued_on else None,
        }


@dataclass
class TransferPlan:
    applications: list[Application] = field(default_factory=list)
    manifests: list[ManifestPlan] = field(default_factory=list)

    @property
    def shipper_ids(self) -> frozenset[str]:
        return frozenset(m.shipper_id for m in self.manifests)


def plan_transfers(
    day: date, rng: random.Random, shippers: dict[str, tuple[str, str]], namespace: str
) -> TransferPlan:
    """``shippers``: candidate facility id -> (cell id, cell type); the first of each type
    in SHIPMENTS ships that type's manifests."""
    plan = TransferPlan()
    by_type = {t: f for f, (_, t) in reversed(list(shippers.items()))}
    for n, (cell_type, fates) in enumerate(SHIPMENTS.items()):
        shipper = by_type[cell_type]
        app = _application(namespace, n, shipper, day, backdated=bool(BACKDATED & set(fates)))
        plan.applications.append(app)
        for i, fate in enumerate(fates):
            plan.manifests.append(
                _manifest(f"{shipper}-m{i}", fate, shipper, shippers[shipper], app, day, rng)
            )
    plan.applications += _refused_and_corrected(namespace, by_type, day)
    return plan


def _application(
    namespace: str, n: int, shipper: str, day: date, backdated: bool, **kw: Any
) -> Application:
    codes = list(HAZARDOUS_CODES)
    on = day - timedelta(days=BACKDATED_APPROVAL_DAYS) if backdated else day
    at = datetime.combine(on, time(7, n), CST)
    destination = DESTINATIONS[n % len(DESTINATIONS)]
    receiver = f"{namespace}-receiver-{destination}-{n % 4}"
    key = f"{namespace}-app-{n:02d}"
    return Application(key, shipper, receiver, destination, codes[n % len(codes)], at, **kw)


def _refused_and_corrected(namespace: str, by_type: dict[str, str], day: date) -> list[Application]:
    shippers = [by_type["industrial_park"], by_type["hospital"], by_type["shopping_mall"]]
    return [
        _application(namespace, 20, shippers[0], day, False, approved=False),
        _application(namespace, 21, shippers[1], day, False, approved=False),
        _application(namespace, 22, shippers[2], day, False, corrections=True),
    ]


def _manifest(
    key: str,
    fate: Fate,
    shipper: str,
    cell: tuple[str, str],
    app: Application,
    day: date,
    rng: random.Random,
) -> ManifestPlan:
    _, name, form, packaging = HAZARDOUS_CODES[app.waste_code]
    kg = float(rng.randint(8, 60) * 50)
    declaration = {
        "waste_code": app.waste_code,
        "waste_name": name,
        "quantity_kg": kg,
        "form": form,
        "packaging": packaging,
        "hazard_characteristics": ["T"],
        "emergency_measures": "contain spills; call 12369",
    }
    relay = fate is Fate.RELAY_CLOSED
    carriers = ("carrier-31-1", f"carrier-{app.destination}-1") if relay else ("carrier-31-2",)
    drafted_on = (
        day - timedelta(days=OVERDUE_DELIVERY_DAYS) if fate is Fate.OVERDUE_RECEIPT else day
    )
    drafted_at = datetime.combine(drafted_on, time(rng.randint(8, 11), rng.randint(0, 59)), CST)
    paper = day - timedelta(days=PAPER_ISSUED_DAYS) if fate is Fate.LATE_PAPER_BACKFILL else None
    steps = steps_of(fate.value, drafted_at, carriers, app.receiver_id, shipper, declaration)
    return ManifestPlan(
        key, fate, shipper, cell[0], cell[1], app, carriers, declaration, drafted_at, paper, steps
    )
