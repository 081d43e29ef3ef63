"""Who is calling: signed bearer tokens (JWT, HS256) that name an actor, its role and, for
an official, its province.

Every API that acts for people (hazardous-transfer, scoring) verifies the token with the
secret ``AUTH_TOKEN_SECRET``; operators issue tokens with ``zw-issue-token``
(:mod:`zw_shared.auth_cli`). Claims: ``sub`` (the actor's id), ``role``, ``province``
(two-digit GB/T 2260 code, required for officials), ``iat``, ``exp``, ``iss`` and ``aud``.
Outside ``ENVIRONMENT=development`` a service refuses to start without a secret of at least
32 characters; the development default below is refused there.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only for a developer's laptop: refused in any other environment.
DEVELOPMENT_TOKEN_SECRET = "development-only-token-secret-never-use-it-elsewhere"
MIN_SECRET_LENGTH = 32
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "role", "exp", "iat", "iss", "aud")


class Role(StrEnum):
    SHIPPER = "shipper"
    CARRIER = "carrier"
    RECEIVER = "receiver"
    OFFICIAL = "official"  # a province's environment authority


class AuthSettings(BaseSettings):
    """What verifies and issues tokens (env AUTH_TOKEN_SECRET, AUTH_TOKEN_ISSUER, ...)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    auth_token_secret: SecretStr = SecretStr(DEVELOPMENT_TOKEN_SECRET)
    auth_token_issuer: str = Field(default="zero-waste-city", min_length=1)
    auth_token_audience: str = Field(default="zero-waste-city", min_length=1)
    # Clocks of the issuer and the service may differ by this much.
    auth_clock_leeway_s: float = Field(default=30.0, ge=0, le=300)

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> AuthSettings:
        secret = self.auth_token_secret.get_secret_value()
        if self.environment == "development":
            return self
        if secret == DEVELOPMENT_TOKEN_SECRET:
            raise ValueError("set AUTH_TOKEN_SECRET: the default secret is for development only")
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"AUTH_TOKEN_SECRET needs at least {MIN_SECRET_LENGTH} characters")
        return self


def auth_settings_or_exit() -> AuthSettings:
    """The settings, or exit 2 with the reason (a service must not start without them)."""
    try:
        return AuthSettings()
    except ValidationError as exc:
        reasons = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        print(f"cannot start: {reasons}", file=sys.stderr)
        raise SystemExit(2) from None


class Identity(BaseModel):
    """A verified caller."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sub: str = Field(min_length=1, max_length=128)
    role: Role
    province: str | None = Field(default=None, pattern=r"^\d{2}$")
    exp: datetime

    @model_validator(mode="after")
    def _officials_have_a_province(self) -> Identity:
        if self.role is Role.OFFICIAL and self.province is None:
            raise ValueError("an official's token must name its province")
        return self

    def describe(self) -> str:
        where = f" of province {self.province}" if self.province else ""
        return f"{self.role.value} {self.sub!r}{where}"


class TokenRejected(Exception):
    """The token cannot be trusted; the message says why (safe to show the caller)."""


def issue_token(
    settings: AuthSettings,
    sub: str,
    role: Role | str,
    province: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    identity = Identity(sub=sub, role=Role(role), province=province, exp=issued + ttl)
    claims: dict[str, Any] = {
        "sub": identity.sub,
        "role": identity.role.value,
        "iat": issued,
        "exp": identity.exp,
        "iss": settings.auth_token_issuer,
        "aud": settings.auth_token_audience,
    }
    if identity.province:
        claims["province"] = identity.province
    return jwt.encode(claims, settings.auth_token_secret.get_secret_value(), ALGORITHM)


def verify_token(settings: AuthSettings, token: str) -> Identity:
    """The identity a token carries; :class:`TokenRejected` naming what is wrong."""
    claims = _verified_claims(settings, token)
    try:
        return Identity.model_validate(claims)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "claims"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise TokenRejected(f"the token's {where} claim is not valid: {message}") from None


def _verified_claims(settings: AuthSettings, token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.auth_token_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.auth_token_audience,
            issuer=settings.auth_token_issuer,
            leeway=settings.auth_clock_leeway_s,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWTError as exc:
        raise TokenRejected(_reason(exc, settings)) from None
    return claims


def _reason(exc: jwt.PyJWTError, settings: AuthSettings) -> str:
    match exc:
        case jwt.ExpiredSignatureError():
            return "the token has expired: get a new one"
        case jwt.InvalidSignatureError():
            return "the token's signature does not verify (not signed with this system's secret)"
        case jwt.InvalidAudienceError():
            return f"the token is not for audience {settings.auth_token_audience!r}"
        case jwt.InvalidIssuerError():
            return f"the token was not issued by {settings.auth_token_issuer!r}"
        case jwt.MissingRequiredClaimError():
            return f"the token has no {exc.claim!r} claim"
        case jwt.ImmatureSignatureError():
            return "the token is not valid yet (issued in the future?)"
        case jwt.InvalidAlgorithmError():
            return f"the token is not signed with {ALGORITHM}"
        case jwt.DecodeError():
            return "the bearer credential is not a well-formed token"
    return f"the token is not valid: {exc}"
