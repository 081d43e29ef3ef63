"""Scores on the real broker: cells registered and flows reported for several cells come
back through the scoring API as scores, histories and rankings. Every expected figure is
worked out by hand here from the default system (shanghai-cells-v1.yaml)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from zw_shared.contracts import EventPayload, wrap
from zw_shared.contracts.scoring import CellPeriodFlowsUpdated
from zw_shared.contracts.waste import (
    CellRegistered,
    WasteFlowCorrected,
    WasteFlowRecorded,
    WasteFlowVoided,
)
from zw_shared.testing.identities import official_headers
from zw_shared.testing.scoring_stack import provision, running_scoring
from zw_shared.topics import CELL_MONTH_FLOWS, CELL_SCORES, WASTE_CELLS, WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration

WAIT_S = 30.0
OCCURRED = datetime(2024, 3, 10, 2, 0, tzinfo=UTC)  # a past month: scored over all 31 days
REPORTED = OCCURRED + timedelta(hours=1)


@dataclass(frozen=True)
class Scoring:
    prefix: str
    api: httpx.AsyncClient
    producer: AIOKafkaProducer
    district: str

    async def send(
        self,
        topic: str,
        key: str,
        payload: EventPayload,
        event_id: str,
        reported: datetime = REPORTED,
    ) -> None:
        envelope = wrap(payload, event_id=event_id, source="/test", time=reported, subject=key)
        await self.producer.send_and_wait(
            f"{self.prefix}{topic}", envelope.to_bytes(), key=key.encode()
        )

    async def register(self, cell_id: str, cell_type: str, population: int) -> None:
        cell = CellRegistered(
            cell_id=cell_id,
            name=f"cell {cell_id}",
            cell_type=cell_type,
            district=self.district,
            population=population,
        )
        await self.send(WASTE_CELLS.name, cell_id, cell, f"register-{cell_id}")

    async def flow(
        self,
        cell_id: str,
        category: str,
        stage: str,
        kg: float,
        reported: datetime = REPORTED,
    ) -> str:
        event_id = uuid.uuid4().hex
        flow = WasteFlowRecorded(
            event_id=event_id,
            facility_id="fac-1",
            cell_id=cell_id,
            stage=stage,
            category=category,
            quantity_kg=kg,
            reported_quantity=kg,
            reported_unit="kg",
            occurred_at=OCCURRED,
        )
        await self.send(WASTE_FLOW_EVENTS.name, cell_id, flow, flow.dedup_key, reported)
        return event_id

    async def get_when(self, path: str, done: Any) -> dict[str, Any]:
        """Polls ``path`` until ``done(body)`` holds."""
        deadline = time.monotonic() + WAIT_S
        body: Any = None
        while time.monotonic() < deadline:
            response = await self.api.get(path)
            body = response.json()
            if response.status_code == 200 and done(body):
                return dict(body)
            await asyncio.sleep(0.2)
        raise AssertionError(f"{path} never satisfied the condition; last: {body}")


async def run_replay(prefix: str, kafka_bootstrap: str) -> tuple[int, dict[str, Any]]:
    """Runs the scoring-replay console script against the module's topics and worker."""
    script = str(Path(sys.executable).parent / "scoring-replay")
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": prefix,
        "SCORING_APP_ID": f"{prefix}scoring",
        "REPLAY_WAIT_S": str(WAIT_S),
    }
    process = await asyncio.create_subprocess_exec(
        script, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=2 * WAIT_S)
    lines = out.decode().strip().splitlines()
    assert lines, f"scoring-replay printed nothing; stderr: {err.decode()[-2000:]}"
    return int(process.returncode or 0), json.loads(lines[-1])


@pytest.fixture(scope="module")
def api_port(kafka_bootstrap: str) -> Iterator[tuple[int, str]]:
    prefix = provision(kafka_bootstrap, f"ss{uuid.uuid4().hex[:8]}.")
    with running_scoring(kafka_bootstrap, prefix) as api:
        yield api, prefix


@pytest.fixture
async def scoring(api_port: tuple[int, str], kafka_bootstrap: str) -> AsyncIterator[Scoring]:
    port, prefix = api_port
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=10, headers=official_headers()
    ) as api:
        yield Scoring(prefix, api, producer, district=f"district-{uuid.uuid4().hex[:6]}")
    await producer.stop()


async def a_good_community_month(scoring: Scoring, cell_id: str) -> None:
    """100 people, March 2024 (31 days): 2,790 kg of household waste generated (wet 930,
    dry 1,550, recyclable 310); 310 recycled, 930 composted; of the dry waste, 155 kg
    landfilled and 1,395 incinerated. Seven events, all reported an hour later."""
    await scoring.register(cell_id, "community", population=100)
    for category, stage, kg in [
        ("household_wet", "generated", 930),
        ("household_dry", "generated", 1_550),
        ("household_recyclable", "generated", 310),
        ("household_recyclable", "recycled", 310),
        ("household_wet", "composted_or_digested", 930),
        ("household_dry", "landfilled", 155),
        ("household_dry", "incinerated_with_energy_recovery", 1_395),
    ]:
        await scoring.flow(cell_id, category, stage, kg)


def indicator(score: dict[str, Any], indicator_id: str) -> dict[str, Any]:
    return dict(next(i for i in score["indicators"] if i["id"] == indicator_id))


async def test_a_cells_month_score_is_explained_indicator_by_indicator(scoring: Scoring) -> None:
    cell = f"good-{uuid.uuid4().hex[:6]}"
    await a_good_community_month(scoring, cell)

    score = await scoring.get_when(
        f"/v1/cells/{cell}/scores/2024-03", lambda body: body["flow_events"] == 7
    )

    # per person per day 2,790 / (100 x 31) = 0.9 kg against 1.0: 10 % less, target met: 20
    # recycling (310 + 930) / 2,790 = 4/9: 20 * (4/9 - 0.15) / 0.30 = 10,600 / 540
    # wet separation 930 / 2,480 = 0.375 >= 0.35: 15; landfill 155 / 1,550 = 0.1: 7.5
    # on time 7/7: 5; reported on 1 day of 31 (below the 0.3 floor): 0. No inspection or
    # survey: both left out, so the cell is scored on 20 + 20 + 15 + 15 + 5 + 5 = 80 points
    points = 20 + 10_600 / 540 + 15 + 7.5 + 5 + 0
    assert indicator(score, "waste_per_person_day_reduction")["value"] == pytest.approx(0.1)
    assert indicator(score, "recycling_rate")["points"] == pytest.approx(10_600 / 540)
    assert indicator(score, "recycling_rate")["counts"]["numerator_kg"] == 1_240
    assert indicator(score, "reporting_completeness")["value"] == pytest.approx(1 / 31)
    assert indicator(score, "satisfaction")["status"] == "excluded"
    assert (score["points"], score["max_points"]) == (pytest.approx(points), 80)
    assert score["score"] == pytest.approx(100 * points / 80)  # 83.9
    assert (score["band"], score["qualified"]) == ("good", True)
    assert (score["system_id"], score["system_version"]) == ("shanghai-cells", 1)


async def test_a_quarter_is_scored_over_its_91_days(scoring: Scoring) -> None:
    cell = f"quarter-{uuid.uuid4().hex[:6]}"
    await a_good_community_month(scoring, cell)

    score = await scoring.get_when(
        f"/v1/cells/{cell}/scores/2024-Q1", lambda body: body["flow_events"] == 7
    )

    per_person = indicator(score, "waste_per_person_day_reduction")
    assert per_person["counts"]["kg_per_person_day"] == pytest.approx(2_790 / (100 * 91))
    assert indicator(score, "reporting_completeness")["counts"]["days"] == 91


async def test_rankings_order_a_districts_cells_and_a_correction_moves_a_cell_up(
    scoring: Scoring,
) -> None:
    good, poor = f"good-{uuid.uuid4().hex[:6]}", f"poor-{uuid.uuid4().hex[:6]}"
    await a_good_community_month(scoring, good)
    await scoring.register(poor, "community", population=100)
    dry = await scoring.flow(poor, "household_dry", "generated", 3_100)
    path = f"/v1/rankings?period=2024-03&district={scoring.district}"

    for cell, events in ((good, 7), (poor, 1)):
        await scoring.get_when(
            f"/v1/cells/{cell}/scores/2024-03", lambda body, n=events: body["flow_events"] == n
        )
    before = (await scoring.api.get(path)).json()

    assert [r["cell_id"] for r in before["rows"]] == [good, poor]
    # poor: 3,100 kg = 1.0 kg per person-day (no reduction), nothing recycled, no disposal
    # reported; only timeliness earns points: 5 of 80
    assert before["rows"][1]["score"] == pytest.approx(100 * 5 / 80)

    correction = WasteFlowCorrected(
        event_id=f"{dry}-fix",
        corrects_event_id=dry,
        reason="weighed twice",
        facility_id="fac-1",
        cell_id=poor,
        stage="generated",
        category="household_dry",
        quantity_kg=2_480,
        reported_quantity=2_480,
        reported_unit="kg",
        occurred_at=OCCURRED,
    )
    await scoring.send(WASTE_FLOW_EVENTS.name, poor, correction, correction.dedup_key)

    # 2,480 kg = 0.8 kg per person-day: 20 % below the baseline, target met: 20 + 5 of 80
    after = await scoring.get_when(
        f"/v1/cells/{poor}/scores/2024-03", lambda body: body["points"] == pytest.approx(25)
    )
    assert after["score"] == pytest.approx(100 * 25 / 80)


async def test_a_voided_flow_no_longer_counts(scoring: Scoring) -> None:
    cell = f"void-{uuid.uuid4().hex[:6]}"
    await scoring.register(cell, "hotel", population=10)
    await scoring.flow(cell, "household_wet", "generated", 40)
    mistake = await scoring.flow(cell, "household_wet", "generated", 999)
    void = WasteFlowVoided(
        event_id=f"{mistake}-void",
        voids_event_id=mistake,
        reason="wrong cell",
        facility_id="fac-1",
        cell_id=cell,
    )
    await scoring.send(WASTE_FLOW_EVENTS.name, cell, void, void.dedup_key)

    totals = await scoring.get_when(
        f"/v1/cells/{cell}/totals", lambda body: body["event_count"] == 1
    )
    score = await scoring.get_when(
        f"/v1/cells/{cell}/scores/2024-03", lambda body: body["flow_events"] == 1
    )

    assert totals["total_kg"] == 40
    # a hotel's baseline is 2.0 kg: 40 / (10 x 31) = 0.129 kg per person-day
    per_person = indicator(score, "waste_per_person_day_reduction")
    assert per_person["counts"]["kg_per_person_day"] == pytest.approx(40 / 310)


async def test_history_lists_the_months_and_years_a_cell_has_flows_in(scoring: Scoring) -> None:
    cell = f"history-{uuid.uuid4().hex[:6]}"
    await a_good_community_month(scoring, cell)
    await scoring.get_when(
        f"/v1/cells/{cell}/scores/2024-03", lambda body: body["flow_events"] == 7
    )

    months = (await scoring.api.get(f"/v1/cells/{cell}/scores")).json()
    years = (await scoring.api.get(f"/v1/cells/{cell}/scores?kind=year")).json()

    assert [s["period"] for s in months["scores"]] == ["2024-03"]
    assert [s["period"] for s in years["scores"]] == ["2024"]


async def test_bad_requests_name_the_problem(scoring: Scoring) -> None:
    unknown = await scoring.api.get("/v1/cells/nobody/scores/2024-03")
    bad_period = await scoring.api.get("/v1/rankings?period=2024-13")
    bad_type = await scoring.api.get("/v1/rankings?period=2024-03&cell_type=spaceport")

    assert unknown.status_code == 404
    assert "not in the cell registry" in unknown.json()["detail"]
    assert bad_period.status_code == 422
    assert bad_period.json()["detail"][0]["loc"] == ["query", "period"]
    assert bad_type.status_code == 422
    assert bad_type.json()["detail"][0]["loc"] == ["query", "cell_type"]


async def test_an_inspection_with_a_serious_violation_disqualifies_the_cell(
    scoring: Scoring,
) -> None:
    cell = f"inspected-{uuid.uuid4().hex[:6]}"
    await a_good_community_month(scoring, cell)
    inspection = {
        "assessment_id": f"insp-{cell}",
        "kind": "inspection",
        "assessor": "district team",
        "occurred_at": "2024-03-15T10:00:00+08:00",
        "passed": False,
        "serious_violation": True,
    }
    survey = {
        "assessment_id": f"survey-{cell}",
        "kind": "survey",
        "assessor": "street office",
        "occurred_at": "2024-03-20T10:00:00+08:00",
        "satisfaction_score": 80,
    }

    answers = [
        await scoring.api.post(f"/v1/cells/{cell}/assessments", json=body)
        for body in (inspection, inspection, survey)  # the inspection twice: counted once
    ]
    score = await scoring.get_when(
        f"/v1/cells/{cell}/scores/2024-03",
        lambda body: (
            body["flow_events"] == 7 and indicator(body, "satisfaction")["status"] != "excluded"
        ),
    )

    assert [a.status_code for a in answers] == [202, 202, 202]
    assert (score["qualified"], score["band"]) == (False, "disqualified")
    # inspections: 0 passed of 1, below the 0.5 floor: 0 of 5; survey 80: 5 * (80 - 60) / 30
    assert indicator(score, "inspection_pass_rate")["counts"] == {"numerator": 0, "denominator": 1}
    assert indicator(score, "satisfaction")["points"] == pytest.approx(5 * 20 / 30)
    assert score["max_points"] == 90


async def test_an_assessment_that_does_not_fit_its_kind_is_refused(scoring: Scoring) -> None:
    survey_without_score = {
        "assessment_id": "s-1",
        "kind": "survey",
        "assessor": "x",
        "occurred_at": "2024-03-20T10:00:00+08:00",
    }

    answer = await scoring.api.post("/v1/cells/c-1/assessments", json=survey_without_score)

    assert answer.status_code == 422
    assert "satisfaction_score" in answer.text


async def published_score(prefix: str, kafka_bootstrap: str, key: str, done: Any) -> dict[str, Any]:
    """The latest record of ``key`` on the scores topic once ``done(data)`` holds."""
    consumer = AIOKafkaConsumer(
        f"{prefix}{CELL_SCORES.name}",
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        isolation_level="read_committed",
    )
    await consumer.start()
    latest: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not (latest and done(latest)):
            batches = await consumer.getmany(timeout_ms=500)
            for record in (r for batch in batches.values() for r in batch):
                if record.key == key.encode():
                    latest = json.loads(record.value)["data"]
    finally:
        await consumer.stop()
    assert latest, f"no score published for {key}"
    assert done(latest), f"the score published for {key} never satisfied it: {latest}"
    return latest


async def test_the_worker_publishes_the_scores_the_api_serves(
    scoring: Scoring, kafka_bootstrap: str
) -> None:
    cell = f"published-{uuid.uuid4().hex[:6]}"
    await a_good_community_month(scoring, cell)
    # reported in April: the worker scores March as of its last day, as the API does today
    await scoring.flow(
        cell, "household_dry", "generated", 31, reported=OCCURRED + timedelta(days=23)
    )

    published = await published_score(
        scoring.prefix,
        kafka_bootstrap,
        f"{cell}/2024-03/shanghai-cells-v1",
        lambda data: data["flow_events"] == 8,
    )
    served = await scoring.get_when(
        f"/v1/cells/{cell}/scores/2024-03", lambda body: body["flow_events"] == 8
    )

    assert published["as_of"] == "2024-03-31"
    assert (published["score"], published["band"]) == (served["score"], served["band"])
    assert published["indicators"] == served["indicators"]
    # 7 of 8 on time: 0.875, 5 * (0.875 - 0.5) / 0.45
    timeliness = indicator(published, "reporting_timeliness")
    assert timeliness["points"] == pytest.approx(5 * 0.375 / 0.45)


# The two tests below run last: they read everything the tests above produced.


async def test_replaying_the_log_gives_exactly_what_the_stream_published(
    scoring: Scoring, kafka_bootstrap: str
) -> None:
    code, summary = await run_replay(scoring.prefix, kafka_bootstrap)

    assert (code, summary.get("differences")) == (0, []), summary
    assert summary["identical"] is True
    assert summary["events"] > 20  # the flows, corrections, voids and assessments above


async def test_replay_notices_a_month_the_stream_got_wrong(
    scoring: Scoring, kafka_bootstrap: str
) -> None:
    cell = f"forged-{uuid.uuid4().hex[:6]}"
    await scoring.register(cell, "community", population=100)
    await scoring.flow(cell, "household_dry", "generated", 10)
    await scoring.get_when(f"/v1/cells/{cell}/totals", lambda body: body["event_count"] == 1)
    forged = CellPeriodFlowsUpdated(
        cell_id=cell, period="2024-03", mass=(), facts={}, report_days={}
    )
    await scoring.send(CELL_MONTH_FLOWS.name, f"{cell}/2024-03", forged, "forged")

    code, summary = await run_replay(scoring.prefix, kafka_bootstrap)

    assert code == 1
    assert [d.split(":")[0] for d in summary["differences"]] == [f"month {cell}/2024-03"]
