"""Request examples of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example

_FLOW: dict[str, Any] = {
    "event_id": "2026-11-24-wet-001",
    "stage": "generated",
    "category": "household_wet",
    "quantity": 1.25,
    "unit": "t",
    "is_estimate": False,
    "occurred_at": "2026-11-24T09:30:00+08:00",
}
_HAZARDOUS: dict[str, Any] = {
    "event_id": "2026-11-24-hw-007",
    "stage": "handed_over",
    "category": "hazardous",
    "quantity": 320,
    "unit": "kg",
    "hazardous_code": "900-041-49",
    "counterparty_facility_id": "hw-operator-01",
    "occurred_at": "2026-11-24T14:00:00+08:00",
}
REPORT_EXAMPLES: dict[str, Example] = {
    "wet waste": {"summary": "wet waste generated on a campus", "value": _FLOW},
    "hazardous handover": {
        "summary": "contaminated packaging handed to a licensed operator",
        "value": _HAZARDOUS,
    },
}
CORRECTION_EXAMPLES: dict[str, Example] = {
    "weighbridge": {
        "summary": "the weighbridge figure replaces an estimate",
        "value": {
            **_FLOW,
            "event_id": "2026-11-24-wet-001-c1",
            "quantity": 1180,
            "unit": "kg",
            "reason": "weighbridge ticket 88121 replaces the estimate",
        },
    }
}
VOID_EXAMPLES: dict[str, Example] = {
    "entered twice": {
        "summary": "the same load was entered twice under two ids",
        "value": {"event_id": "2026-11-24-wet-001-v1", "reason": "entered twice"},
    }
}
BATCH_EXAMPLES: dict[str, Example] = {
    "two flows": {"summary": "a JSON array of reports", "value": [_FLOW, _HAZARDOUS]},
}
CELL_EXAMPLES: dict[str, Example] = {
    "campus": {
        "summary": "a middle school",
        "value": {
            "cell_id": "cell-xh-campus-02",
            "name": "Xuhui No. 2 Middle School",
            "cell_type": "campus",
            "district": "Xuhui",
            "population": 1800,
        },
    }
}
FACILITY_EXAMPLES: dict[str, Example] = {
    "generator": {
        "summary": "a school canteen reporting its own waste",
        "value": {
            "facility_id": "xh-canteen-02",
            "name": "Canteen of Xuhui No. 2 Middle School",
            "facility_type": "generator",
            "district": "Xuhui",
            "province": "31",
            "cell_id": "cell-xh-campus-02",
            "licences": [],
        },
    },
    "licensed operator": {
        "summary": "a hazardous-waste operator licensed for two 名录 codes",
        "value": {
            "facility_id": "hw-operator-01",
            "name": "Pudong Hazardous Waste Treatment Co.",
            "facility_type": "hazardous_waste_operator",
            "district": "Pudong",
            "province": "31",
            "cell_id": "cell-pd-park-01",
            "licences": [
                {
                    "licence_no": "SH-HW-2025-017",
                    "hazardous_codes": ["900-041-49", "900-249-08"],
                    "valid_until": "2027-12-31",
                }
            ],
        },
    },
}
