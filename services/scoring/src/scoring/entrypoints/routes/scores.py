"""A cell's score (with its explanation) and history, and rankings of cells."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from scoring.domain.cells import CellType
from scoring.domain.periods import Period, PeriodKind
from scoring.entrypoints.access import DENIED, READERS
from scoring.entrypoints.routes.schemas import (
    History,
    Ranking,
    RankingRow,
    Score,
    ScoreSummary,
)
from scoring.queries import ScoreBoard, UnknownCell

router = APIRouter(prefix="/v1", tags=["scores"], dependencies=READERS, responses=DENIED)

CellId = Annotated[str, Path(min_length=1, max_length=128, description="zero-waste cell id")]
PERIOD_HELP = "2026-11 (month), 2026-Q4 (quarter) or 2026 (year)"


def _board(request: Request) -> ScoreBoard:
    board: ScoreBoard = request.app.state.score_board
    return board


Board = Annotated[ScoreBoard, Depends(_board)]


def _period(key: str, where: str) -> Period:
    try:
        return Period.parse(key)
    except ValueError as exc:
        detail = [{"loc": [where, "period"], "msg": str(exc), "type": "value_error"}]
        raise HTTPException(422, detail=detail) from exc


@router.get(
    "/cells/{cell_id}/scores/{period}",
    summary="A cell's score for a period, with every indicator's value, target and points",
    responses={404: {"description": "the cell is not in the cell registry"}},
)
async def cell_score(
    cell_id: CellId, period: Annotated[str, Path(description=PERIOD_HELP)], board: Board
) -> Score:
    try:
        score = board.score(cell_id, _period(period, "path"))
    except UnknownCell as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    return Score.of(score, board.today().isoformat())


@router.get(
    "/cells/{cell_id}/scores",
    summary="A cell's scores over time: every month (quarter, year) it has flows in",
    responses={404: {"description": "the cell is not in the cell registry"}},
)
async def cell_history(
    cell_id: CellId, board: Board, kind: PeriodKind = PeriodKind.MONTH
) -> History:
    try:
        scores = board.history(cell_id, kind)
    except UnknownCell as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    return History(
        cell_id=cell_id,
        system_id=board.system.id,
        system_version=board.system.version,
        scores=[ScoreSummary.model_validate(s, from_attributes=True) for s in scores],
    )


@router.get("/rankings", summary="Registered cells ranked by score for a period")
async def rankings(
    board: Board,
    period: Annotated[str, Query(description=PERIOD_HELP)],
    district: Annotated[str | None, Query(max_length=100)] = None,
    cell_type: CellType | None = None,
) -> Ranking:
    ranked = board.ranking(_period(period, "query"), district, cell_type)
    rows = [
        RankingRow(
            rank=r.rank,
            cell_id=r.score.cell_id,
            name=r.name,
            district=r.score.district,
            cell_type=r.score.cell_type,
            score=r.score.score,
            band=r.score.band,
            qualified=r.score.qualified,
        )
        for r in ranked
    ]
    return Ranking(
        period=period,
        system_id=board.system.id,
        system_version=board.system.version,
        district=district,
        cell_type=cell_type.value if cell_type else None,
        rows=rows,
    )
