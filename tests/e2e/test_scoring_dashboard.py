"""The officials' dashboard in headless Chromium (Debian's, driven by playwright) against the
scoring worker and API running as processes on the real broker: an official signs in, then
sees a ranking row, charts drawn, and live updates (server-sent events) after new events,
without reload. Screenshots (sign-in, overview, a cell) go to tests/artifacts/. Chromium
comes from deploy/browser/setup-host.sh."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Browser, Page, async_playwright, expect

from zw_shared.contracts import EventPayload, wrap
from zw_shared.contracts.waste import CellRegistered, WasteFlowRecorded
from zw_shared.testing.identities import official_headers, token
from zw_shared.testing.scoring_stack import provision, running_scoring
from zw_shared.topics import WASTE_CELLS, WASTE_FLOW_EVENTS

CHROMIUM = Path("/usr/bin/chromium")
# what this machine needs (closed network, root): see .library machines notes
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT_MS = 20_000
NOW = datetime.now(UTC)
PERIOD = NOW.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the service's calendar
BANDS = {
    "excellent": "优秀 Excellent",
    "good": "良好 Good",
    "qualified": "合格 Qualified",
    "not_qualified": "不合格 Not qualified",
    "no_data": "无数据 No data",
    "disqualified": "一票否决 Disqualified",
}
# a community's month so far: kg per (category, stage)
GOOD_MONTH = [
    ("household_wet", "generated", 300),
    ("household_dry", "generated", 500),
    ("household_recyclable", "generated", 100),
    ("household_recyclable", "recycled", 100),
    ("household_wet", "composted_or_digested", 300),
    ("household_dry", "landfilled", 50),
    ("household_dry", "incinerated_with_energy_recovery", 450),
]


@pytest.fixture(scope="module")
def scoring_api(kafka_bootstrap: str) -> Iterator[tuple[str, str]]:
    prefix = provision(kafka_bootstrap, f"dash{uuid.uuid4().hex[:8]}.")
    with running_scoring(kafka_bootstrap, prefix) as api:
        yield f"http://127.0.0.1:{api}", prefix


@dataclass(frozen=True)
class City:
    url: str
    prefix: str
    district: str
    producer: AIOKafkaProducer
    api: httpx.AsyncClient

    async def send(self, topic: str, key: str, payload: EventPayload, event_id: str) -> None:
        envelope = wrap(payload, event_id=event_id, source="/e2e", time=NOW, subject=key)
        await self.producer.send_and_wait(
            f"{self.prefix}{topic}", envelope.to_bytes(), key=key.encode()
        )

    async def register(self, cell_id: str, name: str, cell_type: str = "community") -> None:
        cell = CellRegistered(
            cell_id=cell_id, name=name, cell_type=cell_type, district=self.district, population=50
        )
        await self.send(WASTE_CELLS.name, cell_id, cell, f"register-{cell_id}")

    async def flows(self, cell_id: str, month: list[tuple[str, str, float]]) -> None:
        for category, stage, kg in month:
            event_id = uuid.uuid4().hex
            flow = WasteFlowRecorded(
                event_id=event_id,
                facility_id="fac-e2e",
                cell_id=cell_id,
                stage=stage,
                category=category,
                quantity_kg=kg,
                reported_quantity=kg,
                reported_unit="kg",
                occurred_at=NOW,
            )
            await self.send(WASTE_FLOW_EVENTS.name, cell_id, flow, flow.dedup_key)

    async def live_clients_when(self, expected: float) -> None:
        """Polls the API's metrics until the live-updates stream has ``expected`` clients."""
        deadline, seen = time.monotonic() + WAIT_MS / 1000, None
        while time.monotonic() < deadline:
            metrics = (await self.api.get("/metrics")).text
            seen = next(
                float(line.split()[1])
                for line in metrics.splitlines()
                if line.startswith("scoring_api_live_clients ")
            )
            if seen == expected:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{seen} live clients, not {expected}")

    async def score_when(self, cell_id: str, flow_events: int) -> dict[str, Any]:
        """The cell's score once the API counts ``flow_events`` (bounded poll)."""
        deadline, body = time.monotonic() + WAIT_MS / 1000, None
        while time.monotonic() < deadline:
            answer = await self.api.get(f"/v1/cells/{cell_id}/scores/{PERIOD}")
            body = answer.json()
            if answer.status_code == 200 and body["flow_events"] == flow_events:
                return dict(body)
            await asyncio.sleep(0.2)
        raise AssertionError(f"{cell_id} never counted {flow_events} flows; last: {body}")


@pytest.fixture
async def city(scoring_api: tuple[str, str], kafka_bootstrap: str) -> AsyncIterator[City]:
    url, prefix = scoring_api
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10, headers=official_headers()) as api:
            yield City(url, prefix, f"区-{uuid.uuid4().hex[:6]}", producer, api)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium; a clear failure (not a skip) when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `bash deploy/browser/setup-host.sh` "
            "(Debian's chromium; never `playwright install`)"
        )
    return str(CHROMIUM)


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page
            assert not errors, f"the page raised: {errors}"
        finally:
            await browser.close()


async def sign_in(page: Page) -> None:
    """The page shows nothing of the city until an official of Shanghai signs in."""
    await expect(page.locator("#signin")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#main")).to_be_hidden()
    await expect(page.locator("#filters")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "scoring-dashboard-signin.png"))
    await page.locator("#token").fill(token("official-e2e", "official", "31"))
    await page.get_by_role("button", name="登录 Sign in").click()
    await expect(page.locator("#who")).to_contain_text("official-e2e", timeout=WAIT_MS)
    await expect(page.locator("#signin")).to_be_hidden()


def ranking_row(page: Page, cell_id: str) -> Any:
    return page.locator(f'#ranking tbody tr[data-cell-id="{cell_id}"]')


async def test_an_official_sees_rankings_charts_and_live_updates(city: City, page: Page) -> None:
    tag = uuid.uuid4().hex[:6]
    good, idle, late = f"good-{tag}", f"idle-{tag}", f"late-{tag}"
    await city.register(good, "和平社区 Heping community")
    await city.register(idle, "静安校园 Jing'an campus", "campus")
    await city.flows(good, GOOD_MONTH)
    score = await city.score_when(good, flow_events=len(GOOD_MONTH))

    await page.goto(f"{city.url}/dashboard#/?period={PERIOD}&district={city.district}")
    await sign_in(page)

    # a ranking row for the cell, as the API scores it, first in its district
    row = ranking_row(page, good)
    await expect(row).to_contain_text("和平社区 Heping community", timeout=WAIT_MS)
    await expect(row).to_contain_text(f"{score['score']:.1f}")
    await expect(row).to_contain_text(BANDS[score["band"]])
    await expect(row.locator("td").first).to_have_text("1")
    await expect(ranking_row(page, idle)).to_be_visible()
    # charts drawn: a slice per household category, a bar per band
    await expect(page.locator("#shares-chart svg path.slice")).to_have_count(3)
    await expect(page.locator("#bands-chart svg g.bar")).to_have_count(len(BANDS))
    await expect(page.locator('#kpis [data-kpi="generated"]')).to_have_text("900 kg")
    await expect(page.locator("#live")).to_have_class("live on", timeout=WAIT_MS)

    # live: a new cell's events appear without reloading the page
    await page.evaluate("window.__sameDocument = true")
    await city.register(late, "新来社区 Newcomer community")
    await city.flows(late, GOOD_MONTH[:2])
    await expect(ranking_row(page, late)).to_contain_text("新来社区", timeout=WAIT_MS)
    await expect(page.locator('#kpis [data-kpi="flow-events"]')).to_have_text(
        str(len(GOOD_MONTH) + 2), timeout=WAIT_MS
    )
    await expect(page.locator('#kpis [data-kpi="generated"]')).to_have_text("1,700 kg")
    assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "scoring-dashboard.png"), full_page=True)

    # a cell's page: its trend, its indicators with advice, and live updates of it too
    await row.get_by_role("link").click()
    await expect(page.locator("#cell-h")).to_contain_text("和平社区", timeout=WAIT_MS)
    await expect(page.locator("#trend-chart svg circle.point")).to_have_count(1)
    recycling = page.locator('#indicators tr[data-indicator="recycling_rate"]')
    await expect(recycling).to_contain_text("资源化利用率")
    await expect(recycling).to_contain_text("44.4%")  # (100 + 300) / 900
    await expect(page.locator('#cell-kpis [data-kpi="flow-events"]')).to_have_text(
        str(len(GOOD_MONTH))
    )
    await city.flows(good, [("household_recyclable", "generated", 100)])
    await expect(page.locator('#cell-kpis [data-kpi="flow-events"]')).to_have_text(
        str(len(GOOD_MONTH) + 1), timeout=WAIT_MS
    )
    await expect(recycling).to_contain_text("40.0%")  # 400 / 1,000
    await expect(page.locator('#cell-kpis [data-kpi="generated"]')).to_have_text("1,000 kg")
    await expect(page.locator("#cell-shares-chart svg path.slice")).to_have_count(3)
    assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    await page.screenshot(path=str(ARTIFACTS / "scoring-dashboard-cell.png"), full_page=True)

    # the stream forgets a client that went away
    await city.live_clients_when(1)
    await page.close()
    await city.live_clients_when(0)
