"""Who a test, a bench or the simulator says it is, in one place.

Every client outside a service builds its identity headers here, so that a change in how the
services authenticate callers changes one module, not every test. The headers carry a token
signed with AUTH_TOKEN_SECRET of this process's environment (the services it starts inherit
the same variable), or the development default when it is unset.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from pydantic import SecretStr

from zw_shared.auth import DEVELOPMENT_TOKEN_SECRET, AuthSettings, issue_token

# Long enough for a test session or a bench run.
TTL = timedelta(hours=12)


def use_test_secret() -> str:
    """Gives this process (and every service it starts) a random AUTH_TOKEN_SECRET unless
    one is set: services outside development refuse the default."""
    return os.environ.setdefault("AUTH_TOKEN_SECRET", f"test-{secrets.token_hex(24)}")


def token_settings() -> AuthSettings:
    secret = os.environ.get("AUTH_TOKEN_SECRET") or DEVELOPMENT_TOKEN_SECRET
    return AuthSettings(environment="development", auth_token_secret=SecretStr(secret))


def token(actor_id: str, role: str, province: str | None = None) -> str:
    return issue_token(token_settings(), actor_id, role, province, TTL)


def bearer(actor_id: str, role: str, province: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(actor_id, role, province)}"}


def actor_headers(
    actor_id: str, role: str, province: str | None = None, **extra: str
) -> dict[str, str]:
    """Headers of a hazardous-transfer actor (shipper, carrier, receiver or official)."""
    return {**bearer(actor_id, role, province), **extra}


def official_headers(province: str = "31", actor_id: str | None = None) -> dict[str, str]:
    """Headers of an official reading scores (scoring's read endpoints)."""
    return bearer(actor_id or f"official-{province}", "official", province)
