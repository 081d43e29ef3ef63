"""Who may use the scoring API: the officials of the province it scores (``SCORING_PROVINCE``).

A caller sends a signed token (:mod:`zw_shared.auth`) as ``Authorization: Bearer <token>``;
the dashboard signs in once (``POST /v1/session``) and the browser then sends it as the
HttpOnly, SameSite=Strict cookie ``zw_session`` (EventSource cannot send headers). Reads
accept either; writes (assessments) only the header, so no page of another site can make a
browser write with its cookie. No token: 401; anyone but such an official: 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials

from zw_shared.auth import Identity, Role
from zw_shared.auth_http import TokenGate, bearer_scheme, forbidden, unauthorised

SESSION_COOKIE = "zw_session"
SESSION_PATH = "/v1"  # the API's paths only; the page's files need no token
session_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="set by POST /v1/session (the dashboard); reads only",
)


@dataclass(frozen=True)
class Officials:
    gate: TokenGate
    province: str
    cookie_secure: bool = True

    def admit(self, token: str) -> Identity:
        """The verified caller, if an official of this province (401/403 otherwise)."""
        caller = self.gate.verify(token)
        if caller.role is not Role.OFFICIAL or caller.province != self.province:
            raise forbidden(
                f"scores of province {self.province} are for its officials, not {caller.describe()}"
            )
        return caller


def _officials(request: Request) -> Officials:
    officials: Officials = request.app.state.officials
    return officials


OfficialsDep = Annotated[Officials, Depends(_officials)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
Session = Annotated[str | None, Depends(session_scheme)]


async def official_reader(
    officials: OfficialsDep, credentials: Bearer, session: Session
) -> Identity:
    token = credentials.credentials if credentials else session
    if not token:
        raise unauthorised(
            "send Authorization: Bearer <an official's token>, or sign in at /dashboard",
            invalid=False,
        )
    return officials.admit(token)


async def official_writer(officials: OfficialsDep, credentials: Bearer) -> Identity:
    if credentials is None:
        raise unauthorised("send Authorization: Bearer <an official's token>", invalid=False)
    return officials.admit(credentials.credentials)


Reader = Annotated[Identity, Depends(official_reader)]
Writer = Annotated[Identity, Depends(official_writer)]
READERS = [Depends(official_reader)]
WRITERS = [Depends(official_writer)]
DENIED: dict[int | str, dict[str, str]] = {
    401: {"description": "no token, or one that cannot be trusted: the reason says which"},
    403: {"description": "not an official of the province scored here"},
}
