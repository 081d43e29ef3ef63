"""Bearer tokens at an HTTP API (FastAPI): 401 with ``WWW-Authenticate`` saying what is
wrong with the credential (missing, expired, bad signature, ...), 403 naming what the caller
may not do (RFC 6750)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from zw_shared.auth import AuthSettings, Identity, TokenRejected, verify_token

REALM = "zero-waste-city"
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="a signed token of the caller (issue one with `zw-issue-token`)",
)


def unauthorised(reason: str, *, invalid: bool = True) -> HTTPException:
    """401; ``invalid`` when a credential was sent but cannot be trusted."""
    challenge = f'Bearer realm="{REALM}"'
    if invalid:
        quoted = reason.replace("\\", "\\\\").replace('"', '\\"')
        challenge += f', error="invalid_token", error_description="{quoted}"'
    return HTTPException(401, detail=reason, headers={"WWW-Authenticate": challenge})


def forbidden(reason: str) -> HTTPException:
    return HTTPException(403, detail=reason)


@dataclass(frozen=True)
class TokenGate:
    """Turns the credential of a request into a verified :class:`Identity`."""

    settings: AuthSettings

    def identity(self, credentials: HTTPAuthorizationCredentials | None) -> Identity:
        if credentials is None:
            raise unauthorised("send Authorization: Bearer <your token>", invalid=False)
        return self.verify(credentials.credentials)

    def verify(self, token: str) -> Identity:
        try:
            return verify_token(self.settings, token)
        except TokenRejected as exc:
            raise unauthorised(str(exc)) from None
