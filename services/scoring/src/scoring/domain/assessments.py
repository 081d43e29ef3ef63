"""What an inspection or a satisfaction survey adds to a cell's month: counted facts that
indicators (inspection pass rate, satisfaction) and veto items refer to."""

from __future__ import annotations

from scoring.domain.period_flows import Fact
from zw_shared.contracts.scoring import CellAssessed


def facts_of(assessment: CellAssessed) -> dict[Fact, float]:
    if assessment.kind == "survey":
        return {Fact.SURVEYS: 1, Fact.SURVEY_SCORE_TOTAL: assessment.satisfaction_score or 0.0}
    facts = {Fact.INSPECTIONS_TOTAL: 1.0}
    if assessment.passed:
        facts[Fact.INSPECTIONS_PASSED] = 1
    if assessment.serious_violation:
        facts[Fact.SERIOUS_VIOLATIONS] = 1
    if assessment.falsified_report:
        facts[Fact.FALSIFIED_REPORTS] = 1
    return facts
