"""Signed bearer tokens: what verifies, each reason a token is refused, the secret's rules,
the HTTP answers (401 with a challenge) and the operators' ``zw-issue-token``."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import HTTPException
from pydantic import SecretStr, ValidationError

from hazardous_transfer.entrypoints import api as hazardous_api
from scoring.entrypoints import api as scoring_api
from zw_shared.auth import (
    DEVELOPMENT_TOKEN_SECRET,
    AuthSettings,
    Identity,
    Role,
    TokenRejected,
    issue_token,
    verify_token,
)
from zw_shared.auth_cli import main as issue_token_cli
from zw_shared.auth_http import TokenGate

SECRET = "s" * 40
NOW = datetime.now(UTC)


def settings(secret: str = SECRET, **overrides: Any) -> AuthSettings:
    fields: dict[str, Any] = {"environment": "test", "auth_token_secret": SecretStr(secret)}
    return AuthSettings(**(fields | overrides))


def signed(claims: dict[str, Any], secret: str = SECRET) -> str:
    base = {
        "sub": "alice",
        "role": "official",
        "province": "31",
        "iat": NOW,
        "exp": NOW + timedelta(hours=1),
        "iss": "zero-waste-city",
        "aud": "zero-waste-city",
    }
    return jwt.encode({k: v for k, v in (base | claims).items() if v is not None}, secret)


def reason(token: str, verifier: AuthSettings | None = None) -> str:
    with pytest.raises(TokenRejected) as refused:
        verify_token(verifier or settings(), token)
    return str(refused.value)


def test_an_issued_token_verifies_to_its_actor_role_and_province() -> None:
    token = issue_token(settings(), "alice", Role.OFFICIAL, "31", timedelta(hours=2))

    caller = verify_token(settings(), token)

    assert (caller.sub, caller.role, caller.province) == ("alice", Role.OFFICIAL, "31")
    assert caller.exp > NOW + timedelta(minutes=119)


def test_an_expired_token_is_refused_as_expired() -> None:
    token = issue_token(settings(), "bob", "carrier", ttl=timedelta(minutes=1),
                        now=NOW - timedelta(hours=1))  # fmt: skip

    assert "expired" in reason(token)


def test_a_token_signed_with_another_secret_is_refused_for_its_signature() -> None:
    token = issue_token(settings("x" * 40), "mallory", "official", "31")

    assert "signature" in reason(token)


def test_a_token_for_another_audience_or_issuer_is_refused_naming_which() -> None:
    assert "audience" in reason(signed({"aud": "someone-else"}))
    assert "issued by" in reason(signed({"iss": "someone-else"}))


@pytest.mark.parametrize("claim", ["sub", "role", "exp", "iat", "iss", "aud"])
def test_a_token_without_a_required_claim_is_refused_naming_it(claim: str) -> None:
    assert repr(claim) in reason(signed({claim: None}))


def test_an_official_without_a_province_or_an_unknown_role_is_refused() -> None:
    assert "province" in reason(signed({"province": None}))
    assert "role" in reason(signed({"role": "mayor"}))
    assert "province" in reason(signed({"province": "Shanghai"}))


def test_an_unsigned_token_or_garbage_is_refused() -> None:
    unsigned = jwt.encode({"sub": "eve"}, None, algorithm="none")

    assert "HS256" in reason(unsigned)
    assert "well-formed" in reason("not-a-token")


def test_outside_development_the_default_or_a_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="development only"):
        settings(DEVELOPMENT_TOKEN_SECRET, environment="production")
    with pytest.raises(ValidationError, match="at least 32"):
        settings("short-secret", environment="test")
    assert settings(DEVELOPMENT_TOKEN_SECRET, environment="development")


def test_a_service_without_a_secret_outside_development_exits_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("AUTH_TOKEN_SECRET", raising=False)

    with pytest.raises(SystemExit) as exited:
        issue_token_cli(["--sub", "a", "--role", "official", "--province", "31"])

    assert exited.value.code == 2
    assert "AUTH_TOKEN_SECRET" in capsys.readouterr().err


def test_the_cli_prints_a_token_the_services_accept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("AUTH_TOKEN_SECRET", SECRET)

    issue_token_cli(["--sub", "alice", "--role", "official", "--province", "32", "--ttl", "30m"])

    caller = verify_token(settings(), capsys.readouterr().out.strip())
    assert (caller.sub, caller.province) == ("alice", "32")
    assert caller.exp <= datetime.now(UTC) + timedelta(minutes=31)


@pytest.mark.parametrize("argv", [["--ttl", "forever"], ["--ttl", "90d"], ["--role", "mayor"]])
def test_the_cli_refuses_a_bad_argument(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TOKEN_SECRET", SECRET)
    base = {"--sub": "a", "--role": "carrier"}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value

    with pytest.raises(SystemExit) as exited:
        issue_token_cli([part for pair in base.items() for part in pair])

    assert exited.value.code == 2


def test_the_cli_refuses_an_official_without_a_province(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTH_TOKEN_SECRET", SECRET)

    with pytest.raises(SystemExit):
        issue_token_cli(["--sub", "a", "--role", "official"])

    assert "province" in capsys.readouterr().err


def test_http_answers_401_with_a_challenge_saying_what_is_wrong() -> None:
    gate = TokenGate(settings())
    expired = issue_token(settings(), "bob", "carrier", ttl=timedelta(seconds=1),
                          now=NOW - timedelta(hours=1))  # fmt: skip

    with pytest.raises(HTTPException) as missing:
        gate.identity(None)
    with pytest.raises(HTTPException) as late:
        gate.verify(expired)

    assert (missing.value.status_code, late.value.status_code) == (401, 401)
    assert missing.value.headers == {"WWW-Authenticate": 'Bearer realm="zero-waste-city"'}
    challenge = (late.value.headers or {})["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge
    assert "expired" in challenge


def test_an_identity_describes_itself_for_refusals() -> None:
    official = Identity(sub="alice", role=Role.OFFICIAL, province="31", exp=NOW)

    assert official.describe() == "official 'alice' of province 31"


def test_the_compose_smoke_tests_own_token_is_one_the_services_accept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AUTH_TOKEN_SECRET", raising=False)
    path = Path(__file__).resolve().parents[3] / "deploy" / "compose-smoke.py"
    spec = importlib.util.spec_from_file_location("compose_smoke", path)
    assert spec is not None
    assert spec.loader is not None
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)

    development = settings(DEVELOPMENT_TOKEN_SECRET, environment="development")
    caller = verify_token(development, smoke.official_token())

    assert (caller.role, caller.province) == (Role.OFFICIAL, "31")


@pytest.mark.parametrize(
    "main", [hazardous_api.main, scoring_api.main], ids=["hazardous-transfer", "scoring"]
)
def test_an_api_outside_development_without_a_secret_exits_naming_it(
    main: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("TOPIC_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("AUTH_TOKEN_SECRET", DEVELOPMENT_TOKEN_SECRET)

    with pytest.raises(SystemExit) as exited:
        main()  # refused before it builds anything or connects anywhere

    assert exited.value.code == 2
    assert "AUTH_TOKEN_SECRET" in capsys.readouterr().err
