"""GET a cell's running totals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel

from scoring.adapters.compacted_view import Latest
from scoring.entrypoints.access import DENIED, READERS
from zw_shared.contracts.scoring import CellTotalsUpdated

router = APIRouter(prefix="/v1/cells", tags=["cells"], dependencies=READERS, responses=DENIED)


class CellTotals(BaseModel):
    cell_id: str
    total_kg: float
    kg_by_category: dict[str, float]
    kg_by_stage: dict[str, float]
    event_count: int
    last_event_at: datetime | None


def _totals(request: Request) -> Latest[CellTotalsUpdated]:
    totals: Latest[CellTotalsUpdated] = request.app.state.totals
    return totals


TotalsDep = Annotated[Latest[CellTotalsUpdated], Depends(_totals)]
CellId = Annotated[str, Path(min_length=1, max_length=128, description="zero-waste cell id")]


@router.get(
    "/{cell_id}/totals",
    summary="A cell's running totals: kg in all, by category and by stage, events counted",
    responses={404: {"description": "no waste-flow event has been counted for this cell"}},
)
async def cell_totals(cell_id: CellId, view: TotalsDep) -> CellTotals:
    totals = view.get(cell_id)
    if totals is None:
        raise HTTPException(
            status_code=404,
            detail=f"cell {cell_id!r} is unknown: no waste-flow event has been counted for it",
        )
    return CellTotals.model_validate(totals.model_dump())
