"""The API's store of every cell's month flows, indexed by cell for history and merging."""

from __future__ import annotations

from collections import defaultdict

from scoring.domain.period_flows import PeriodFlows
from scoring.domain.periods import Period
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated


class MonthFlowsStore:
    def __init__(self) -> None:
        self._by_cell: dict[str, dict[Period, PeriodFlows]] = defaultdict(dict)

    def put(self, key: str, payload: CellPeriodFlowsUpdated) -> None:
        flows = PeriodFlows.from_state(payload.model_dump(mode="json"))
        self._by_cell[flows.cell_id][flows.period] = flows

    def delete(self, key: str) -> None:
        cell_id, _, period = key.rpartition("/")
        self._by_cell.get(cell_id, {}).pop(Period.parse(period), None)

    def months(self, cell_id: str) -> dict[Period, PeriodFlows]:
        return dict(self._by_cell.get(cell_id, {}))

    def cell_ids(self) -> set[str]:
        return {cell for cell, months in self._by_cell.items() if months}
