"""Sign-in of the dashboard: POST /v1/session takes an official's token once and keeps it in
an HttpOnly, SameSite=Strict cookie for the API's reads (the page's script never sees it
again; EventSource sends it too). GET says who is signed in; DELETE signs out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from scoring.entrypoints.access import (
    DENIED,
    SESSION_COOKIE,
    SESSION_PATH,
    OfficialsDep,
    official_reader,
)
from zw_shared.auth import Identity

router = APIRouter(prefix="/v1/session", tags=["session"])


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=4096, description="an official's token")


class SignedIn(BaseModel):
    sub: str
    role: str
    province: str | None
    expires_at: datetime


def _signed_in(caller: Identity) -> SignedIn:
    return SignedIn(sub=caller.sub, role=caller.role.value, province=caller.province,
                    expires_at=caller.exp)  # fmt: skip


@router.post("", summary="Sign in with an official's token (sets the session cookie)",
             responses=DENIED)  # fmt: skip
async def sign_in(body: SignIn, officials: OfficialsDep, response: Response) -> SignedIn:
    caller = officials.admit(body.token)
    lifetime = int((caller.exp - datetime.now(UTC)).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        body.token,
        max_age=max(lifetime, 0),
        path=SESSION_PATH,
        secure=officials.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return _signed_in(caller)


@router.get("", summary="Who is signed in", responses=DENIED)
async def who(caller: Annotated[Identity, Depends(official_reader)]) -> SignedIn:
    return _signed_in(caller)


@router.delete("", status_code=204, summary="Sign out (clears the session cookie)")
async def sign_out(officials: OfficialsDep) -> Response:
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path=SESSION_PATH,
        secure=officials.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response
