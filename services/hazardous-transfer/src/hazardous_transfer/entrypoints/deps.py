"""Request dependencies: the node's objects and who is acting.

Identity comes from a signed bearer token (``Authorization: Bearer <token>``, see
:mod:`zw_shared.auth`): its ``sub`` is the actor, its ``role`` and (officials) ``province``
what the actor acts as. A missing or untrusted token is 401; an official acts (and reads)
only for a province this node serves (403 otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict

from hazardous_transfer.bootstrap import ApiDeps
from hazardous_transfer.domain.acts import Role
from hazardous_transfer.domain.visibility import Reader
from zw_shared import auth
from zw_shared.auth import Identity
from zw_shared.auth_http import bearer_scheme, forbidden


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    actor_id: str
    role: Literal["shipper", "carrier", "receiver", "official"]
    province: str | None
    at: datetime
    idempotency_key: str | None

    def reader(self) -> Reader:
        return Reader(self.actor_id, Role(self.role), self.province)


# Dependencies are ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a
# thread hop per request that made reads under 50 concurrent clients ten times slower.
async def get_deps(request: Request) -> ApiDeps:
    deps: ApiDeps = request.app.state.deps
    return deps


Deps = Annotated[ApiDeps, Depends(get_deps)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def get_caller(deps: Deps, credentials: Credentials) -> Identity:
    """The verified caller; an official only of a province this node serves."""
    caller = deps.gate.identity(credentials)
    if caller.role is auth.Role.OFFICIAL and caller.province not in deps.settings.served:
        served = ", ".join(sorted(deps.settings.served))
        where = f"an official of province {caller.province}"
        raise forbidden(f"{where} cannot act at this node ({served})")
    return caller


Caller = Annotated[Identity, Depends(get_caller)]


async def get_actor(
    deps: Deps,
    caller: Caller,
    x_occurred_at: Annotated[
        datetime | None, Header(description="when the act happened, if earlier than now")
    ] = None,
    idempotency_key: Annotated[
        str | None, Header(max_length=100, description="repeat it to retry safely")
    ] = None,
) -> Actor:
    at = _act_time(x_occurred_at, deps.settings.max_backdate_days)
    return Actor(actor_id=caller.sub, role=caller.role.value, province=caller.province, at=at,
                 idempotency_key=idempotency_key)  # fmt: skip


def _act_time(claimed: datetime | None, max_backdate_days: int) -> datetime:
    now = datetime.now(UTC)
    if claimed is None:
        return now
    if claimed.tzinfo is None:
        raise HTTPException(422, "X-Occurred-At must carry a timezone offset")
    if claimed > now + timedelta(minutes=5):
        raise HTTPException(422, "X-Occurred-At is in the future")
    if claimed < now - timedelta(days=max_backdate_days):
        raise HTTPException(422, f"X-Occurred-At is more than {max_backdate_days} days back")
    return claimed


ActorDep = Annotated[Actor, Depends(get_actor)]


def _acting_as(role: Role) -> Callable[[Actor], Awaitable[Actor]]:
    """Each step has one role; which party of it, and which province, the owner checks."""

    async def check(actor: ActorDep) -> Actor:
        if actor.role != role.value:
            raise forbidden(f"only a {role.value} may do this, not {actor.reader().describe()}")
        return actor

    return check


ShipperAct = Annotated[Actor, Depends(_acting_as(Role.SHIPPER))]
CarrierAct = Annotated[Actor, Depends(_acting_as(Role.CARRIER))]
ReceiverAct = Annotated[Actor, Depends(_acting_as(Role.RECEIVER))]
OfficialAct = Annotated[Actor, Depends(_acting_as(Role.OFFICIAL))]
