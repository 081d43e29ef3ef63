"""Only the officials of the scored province use the scoring API: a token in the
Authorization header, or the dashboard's session cookie for reads (no broker: the app is
not started)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from scoring.adapters.broker_probe import BrokerProbe
from scoring.adapters.change_feed import ChangeFeed
from scoring.adapters.compacted_view import Latest
from scoring.adapters.indicator_config import load_indicator_system
from scoring.adapters.month_flows_store import MonthFlowsStore
from scoring.entrypoints.access import Officials
from scoring.entrypoints.api_app import ApiDeps, create_api
from scoring.queries import ScoreBoard
from zw_shared.adapters.publisher import EventPublisher
from zw_shared.auth import AuthSettings, issue_token
from zw_shared.auth_http import TokenGate
from zw_shared.contracts.scoring import CellTotalsUpdated
from zw_shared.contracts.waste import CellRegistered
from zw_shared.testing.identities import actor_headers, official_headers, token, token_settings

READS = [
    "/v1/rankings?period=2026-11",
    "/v1/city/summary?period=2026-11",
    "/v1/cells/a/totals",
    "/v1/cells/a/scores/2026-11",
    "/v1/cells/a/scores",
    "/v1/cells/a/flows/2026-11",
    "/v1/events/stream",
    "/v1/session",
]
SURVEY = {"assessment_id": "s-1", "kind": "survey", "occurred_at": "2026-11-20T10:00:00+08:00",
          "assessor": "official-31", "satisfaction_score": 90}  # fmt: skip


@pytest.fixture
def client() -> TestClient:
    cells: Latest[CellRegistered] = Latest()
    board = ScoreBoard(
        load_indicator_system(), cells, MonthFlowsStore(), today=lambda: date(2026, 11, 30)
    )
    deps = ApiDeps(
        views=[],
        totals=Latest[CellTotalsUpdated](),
        board=board,
        probe=BrokerProbe("127.0.0.1:9", "test"),
        publisher=EventPublisher("127.0.0.1:9", 1.0, "test"),
        assessments_topic="assessments",
        event_source="/test",
        readiness_timeout_s=1.0,
        feed=ChangeFeed(queue_size=4, max_clients=2, ping_s=15, send_timeout_s=5),
        officials=Officials(TokenGate(token_settings()), province="31"),
    )
    return TestClient(create_api(deps))


def cookie(value: str) -> dict[str, str]:
    # the cookie is Secure: httpx would not send it to http://testserver by itself
    return {"Cookie": f"zw_session={value}"}


@pytest.mark.parametrize("path", READS)
def test_a_read_without_a_token_is_401_with_a_challenge(client: TestClient, path: str) -> None:
    answer = client.get(path)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "sign in" in answer.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [official_headers("32"), actor_headers("fac-1", "shipper"), actor_headers("r", "receiver")],
)
def test_anyone_but_an_official_of_the_province_is_403(
    client: TestClient, headers: dict[str, str]
) -> None:
    for path in READS:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403, path
        assert "province 31" in answer.json()["detail"]
    posted = client.post("/v1/cells/a/assessments", json=SURVEY, headers=headers)
    assert posted.status_code == 403


def test_a_token_of_another_system_is_401_saying_its_signature_fails(client: TestClient) -> None:
    other = AuthSettings(environment="test", auth_token_secret=SecretStr("x" * 40))
    forged = {"Authorization": f"Bearer {issue_token(other, 'official-31', 'official', '31')}"}

    answer = client.get("/v1/rankings?period=2026-11", headers=forged)

    assert answer.status_code == 401
    assert "signature" in answer.json()["detail"]
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_signing_in_sets_a_strict_httponly_cookie_that_reads_accept(client: TestClient) -> None:
    official = token("alice", "official", "31")

    signed_in = client.post("/v1/session", json={"token": official})
    read = client.get("/v1/rankings?period=2026-11", headers=cookie(official))
    who = client.get("/v1/session", headers=cookie(official))

    assert signed_in.status_code == 200, signed_in.text
    set_cookie = signed_in.headers["set-cookie"].lower()
    for attribute in ("httponly", "samesite=strict", "secure", "path=/v1", "max-age="):
        assert attribute in set_cookie
    assert read.status_code == 200, read.text
    assert (who.json()["sub"], who.json()["province"]) == ("alice", "31")


def test_the_session_cookie_does_not_authorise_a_write(client: TestClient) -> None:
    official = token("alice", "official", "31")

    answer = client.post("/v1/cells/a/assessments", json=SURVEY, headers=cookie(official))

    assert answer.status_code == 401


def test_signing_in_as_anyone_else_is_refused_and_sets_no_cookie(client: TestClient) -> None:
    answer = client.post("/v1/session", json={"token": token("bob", "official", "32")})
    garbage = client.post("/v1/session", json={"token": "nonsense"})

    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
    assert garbage.status_code == 401


def test_signing_out_clears_the_cookie(client: TestClient) -> None:
    answer = client.delete("/v1/session")

    assert answer.status_code == 204
    assert 'zw_session=""' in answer.headers["set-cookie"]
    assert "max-age=0" in answer.headers["set-cookie"].lower()


def test_an_expired_session_is_401_saying_so(client: TestClient) -> None:
    expired = issue_token(token_settings(), "alice", "official", "31", ttl=timedelta(hours=1),
                          now=datetime.now(UTC) - timedelta(hours=2))  # fmt: skip

    answer = client.get("/v1/rankings?period=2026-11", headers=cookie(expired))

    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]


@pytest.mark.timeout(20)
def test_the_live_stream_ends_when_the_token_expires(client: TestClient) -> None:
    brief = issue_token(token_settings(), "alice", "official", "31", ttl=timedelta(seconds=2))

    with client.stream("GET", "/v1/events/stream", headers=cookie(brief)) as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("data:")]

    assert stream.status_code == 200
    assert [json.loads(line.removeprefix("data:"))["kind"] for line in lines] == ["hello"]
