"""GET the city-level summary of a period: kilograms by category and stage, recycling and
landfill rates, cells by score band and per district (optionally for one district or one
cell type); and the same figures of one cell's flows. Computed on read from the same views
and scores as the rankings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from scoring.domain.cells import CellType
from scoring.domain.city_summary import ScoredCell, summarize_city
from scoring.domain.periods import Period
from scoring.entrypoints.access import DENIED, READERS
from scoring.queries import ScoreBoard, UnknownCell

router = APIRouter(prefix="/v1", tags=["city"], dependencies=READERS, responses=DENIED)

PERIOD_HELP = "2026-11 (month), 2026-Q4 (quarter) or 2026 (year)"

EXAMPLE: dict[str, Any] = {
    "period": "2026-11",
    "district": None,
    "cell_type": None,
    "system_id": "shanghai-cells",
    "system_version": 1,
    "as_of": "2026-11-24",
    "cells": 3,
    "cells_with_flows": 2,
    "flow_events": 14,
    "generated_kg": 5580.0,
    "generated_kg_by_category": {"household_wet": 1860.0, "household_dry": 3100.0},
    "kg_by_stage": {"generated": 5580.0, "recycled": 620.0, "landfilled": 310.0},
    "recycling_rate": 0.4444,
    "landfill_rate": 0.0556,
    "residual_landfill_share": 0.1,
    "mean_score": 83.9,
    "cells_by_band": {
        "excellent": 0,
        "good": 2,
        "qualified": 0,
        "not_qualified": 0,
        "no_data": 1,
        "disqualified": 0,
    },
    "districts": [
        {
            "district": "Xuhui",
            "cells": 3,
            "mean_score": 83.9,
            "generated_kg": 5580.0,
            "recycling_rate": 0.4444,
        }
    ],
}


class DistrictRow(BaseModel):
    district: str
    cells: int = Field(description="registered cells in the district (matching the filters)")
    mean_score: float | None = Field(description="mean score of its qualified, scored cells")
    generated_kg: float
    recycling_rate: float | None


class CitySummaryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    period: str
    district: str | None = Field(description="the district filter, if any")
    cell_type: str | None = Field(description="the cell-type filter, if any")
    system_id: str
    system_version: int
    as_of: str = Field(description="the local day the running period is scored up to")
    cells: int = Field(description="registered cells counted (matching the filters)")
    cells_with_flows: int = Field(description="of which have at least one flow in the period")
    flow_events: int
    generated_kg: float = Field(description="kg generated, every category")
    generated_kg_by_category: dict[str, float] = Field(
        description="kg generated per waste category (every category, 0 included)"
    )
    kg_by_stage: dict[str, float] = Field(description="kg per flow stage, every category")
    recycling_rate: float | None = Field(
        description="(recycled + composted or digested) / generated; null without generation"
    )
    landfill_rate: float | None = Field(description="landfilled / generated")
    residual_landfill_share: float | None = Field(
        description="household dry waste landfilled / dry waste landfilled or incinerated"
    )
    mean_score: float | None = Field(description="mean score of the qualified, scored cells")
    cells_by_band: dict[str, int] = Field(
        description="cells per score band, best first, then no_data and disqualified"
    )
    districts: list[DistrictRow]


class CellFlowsOut(BaseModel):
    cell_id: str
    period: str
    flow_events: int
    generated_kg: float
    generated_kg_by_category: dict[str, float]
    kg_by_stage: dict[str, float]
    recycling_rate: float | None
    landfill_rate: float | None
    residual_landfill_share: float | None


def _board(request: Request) -> ScoreBoard:
    board: ScoreBoard = request.app.state.score_board
    return board


Board = Annotated[ScoreBoard, Depends(_board)]


@router.get(
    "/city/summary",
    summary="The city at a glance for a period: kg by category, recycling and landfill "
    "rates, cells by score band, per district",
    responses={422: {"description": "a bad query field (period, district or cell_type)"}},
)
async def city_summary(
    board: Board,
    period: Annotated[str, Query(description=PERIOD_HELP, examples=["2026-11"])],
    district: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    cell_type: Annotated[CellType | None, Query(description="one of the 11 cell types")] = None,
) -> CitySummaryOut:
    parsed = _period(period, "query")
    ranked = board.ranking(parsed, district, cell_type)
    cells = [ScoredCell(r.score, board.flows(r.score.cell_id, parsed)) for r in ranked]
    summary = summarize_city(parsed.key, cells, [band.name for band in board.system.bands])
    return CitySummaryOut.model_validate(
        {
            **asdict(summary),
            "district": district,
            "cell_type": cell_type.value if cell_type else None,
            "system_id": board.system.id,
            "system_version": board.system.version,
            "as_of": board.today().isoformat(),
        }
    )


@router.get(
    "/cells/{cell_id}/flows/{period}",
    summary="A cell's kilograms by category and stage in a period, with its rates",
    responses={
        404: {"description": "the cell is not in the cell registry"},
        422: {"description": "a bad period"},
    },
)
async def cell_flows(
    cell_id: Annotated[str, Path(min_length=1, max_length=128)],
    period: Annotated[str, Path(description=PERIOD_HELP)],
    board: Board,
) -> CellFlowsOut:
    parsed = _period(period, "path")
    try:
        score = board.score(cell_id, parsed)
    except UnknownCell as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    one = summarize_city(parsed.key, [ScoredCell(score, board.flows(cell_id, parsed))], [])
    return CellFlowsOut.model_validate({**asdict(one), "cell_id": cell_id})


def _period(key: str, where: str) -> Period:
    try:
        return Period.parse(key)
    except ValueError as exc:
        detail = [{"loc": [where, "period"], "msg": str(exc), "type": "value_error"}]
        raise HTTPException(422, detail=detail) from exc
