"""FastAPI dependencies: the objects the composition root built, and who is calling.
All are `async def`: FastAPI runs a plain `def` dependency in a worker thread, which cost
the single POST more than its validation (measured with bench/intake.py).

A facility authenticates with ``Authorization: Bearer <its API key>`` and acts only for
itself: a valid key of another facility is 403, a missing or unknown key 401. The admin API
takes ``Authorization: Bearer <INTAKE_ADMIN_TOKEN>``.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from waste_intake.bootstrap import ApiDeps
from waste_intake.domain.credentials import key_hash
from waste_intake.domain.flows import ID_PATTERN
from waste_intake.handlers.flows import FlowHandler
from waste_intake.handlers.registry import RegistryHandler

bearer = HTTPBearer(auto_error=False, description="a facility's API key, or the admin token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_deps(request: Request) -> ApiDeps:
    deps: ApiDeps = request.app.state.deps
    return deps


Deps = Annotated[ApiDeps, Depends(get_deps)]


async def get_flows(deps: Deps) -> FlowHandler:
    return deps.flows


async def get_admin_handler(deps: Deps) -> RegistryHandler:
    return deps.admin


Flows = Annotated[FlowHandler, Depends(get_flows)]
FacilityIdPath = Annotated[
    str,
    Path(min_length=1, max_length=63, pattern=ID_PATTERN, description="the reporting facility"),
]
EventIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="a facility's event id")
]
CellIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="a zero-waste cell")
]


def _ensure_caught_up(deps: ApiDeps) -> None:
    """Until the registry is read from its topics, a key or a cell may look unknown."""
    if not deps.views.caught_up:
        detail = "starting: still reading the registry; retry shortly"
        raise HTTPException(status_code=503, detail=detail, headers={"Retry-After": "5"})


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(status_code=401, detail=reason, headers=CHALLENGE)


async def authenticated_facility(
    facility_id: FacilityIdPath, credentials: Credentials, deps: Deps
) -> str:
    """The facility of the path, if the caller holds its current key."""
    if credentials is None:
        raise _unauthorised("send Authorization: Bearer <your facility's API key>")
    _ensure_caught_up(deps)
    presented = key_hash(credentials.credentials)
    expected = deps.registry.key_hashes.get(facility_id)
    if expected is not None and hmac.compare_digest(presented, expected):
        return facility_id
    owner = deps.registry.owner_of(presented)
    if owner is not None:
        reason = f"this key is facility {owner!r}'s; a facility reports only for itself"
        raise HTTPException(status_code=403, detail=reason)
    raise _unauthorised("unknown or replaced API key")


async def require_admin(credentials: Credentials, deps: Deps) -> None:
    token = deps.settings.intake_admin_token.get_secret_value()
    if credentials is None:
        raise _unauthorised("send Authorization: Bearer <INTAKE_ADMIN_TOKEN>")
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise _unauthorised("wrong admin token")
    _ensure_caught_up(deps)


Facility = Annotated[str, Depends(authenticated_facility)]
Admin = Annotated[RegistryHandler, Depends(get_admin_handler)]
AdminOnly = [Depends(require_admin)]
