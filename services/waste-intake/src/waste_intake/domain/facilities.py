"""Rules of the registry itself: a facility belongs to a registered cell, and its licences
name well-formed 名录 codes."""

from __future__ import annotations

from waste_intake.domain.errors import FieldError
from waste_intake.domain.hazardous_codes import code_problem
from waste_intake.domain.registry import Registry
from zw_shared.contracts.waste import FacilityRegistered


def check_facility(facility: FacilityRegistered, registry: Registry) -> list[FieldError]:
    errors = []
    if facility.cell_id not in registry.cells:
        reason = f"cell {facility.cell_id!r} is not registered"
        errors.append(FieldError("cell_id", reason, "unknown_cell"))
    for i, licence in enumerate(facility.licences):
        for code in licence.hazardous_codes:
            problem = code_problem(code)
            if problem is not None:
                field = f"licences.{i}.hazardous_codes"
                errors.append(FieldError(field, problem, "hazardous_code_invalid"))
    return errors
