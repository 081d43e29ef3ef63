"""Gauges of the city's scores in the running month, computed from the API's views when
Prometheus scrapes the scoring API's /metrics (the same figures as GET /v1/city/summary for
the current month): mean score, cells per score band, recycling rate."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from scoring.domain.city_summary import CitySummary, ScoredCell, summarize_city
from scoring.domain.periods import Period, PeriodKind
from scoring.queries import ScoreBoard

log = logging.getLogger(__name__)


class MonthScores(Collector):
    """Reads the score board given to :meth:`watch` (the last one: one API per process)."""

    def __init__(self) -> None:
        self.board: ScoreBoard | None = None

    def watch(self, board: ScoreBoard) -> None:
        self.board = board

    def describe(self) -> list[GaugeMetricFamily]:
        return list(_families(None))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from _families(self._summary())

    def _summary(self) -> CitySummary | None:
        board = self.board
        if board is None:
            return None
        period = Period.containing(PeriodKind.MONTH, board.today())
        try:
            ranked = board.ranking(period)
            cells = [ScoredCell(r.score, board.flows(r.score.cell_id, period)) for r in ranked]
            return summarize_city(period.key, cells, [band.name for band in board.system.bands])
        except Exception:  # a scrape never fails the API; the gauges are left out instead
            log.exception("cannot compute the month's scores for /metrics")
            return None


def _families(summary: CitySummary | None) -> Iterator[GaugeMetricFamily]:
    mean = GaugeMetricFamily(
        "scoring_month_mean_score",
        "Mean score of the qualified, scored cells in the running month (absent without one)",
    )
    bands = GaugeMetricFamily(
        "scoring_month_cells",
        "Registered cells per score band in the running month (with no_data, disqualified)",
        labels=["band"],
    )
    recycling = GaugeMetricFamily(
        "scoring_month_recycling_rate",
        "Recycled, composted or digested kg / generated kg of every cell in the running month",
    )
    if summary is not None:
        if summary.mean_score is not None:
            mean.add_metric([], summary.mean_score)
        for band, count in summary.cells_by_band.items():
            bands.add_metric([band], count)
        if summary.recycling_rate is not None:
            recycling.add_metric([], summary.recycling_rate)
    yield from (mean, bands, recycling)


MONTH_SCORES = MonthScores()
REGISTRY.register(MONTH_SCORES)
