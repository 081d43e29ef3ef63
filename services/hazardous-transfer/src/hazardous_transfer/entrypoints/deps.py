"""Request dependencies: the node's objects and who is acting.

Identity comes from headers that an authenticating gateway sets (X-Actor-Id, X-Actor-Role,
X-Actor-Province); this service trusts them and checks what each may do. An official acts
only for a province this node serves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from hazardous_transfer.bootstrap import ApiDeps


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    actor_id: str
    role: Literal["shipper", "carrier", "receiver", "official"]
    province: str | None
    at: datetime
    idempotency_key: str | None


# Dependencies are ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a
# thread hop per request that made reads under 50 concurrent clients ten times slower.
async def get_deps(request: Request) -> ApiDeps:
    deps: ApiDeps = request.app.state.deps
    return deps


Deps = Annotated[ApiDeps, Depends(get_deps)]


async def get_actor(
    deps: Deps,
    x_actor_id: Annotated[str, Header(min_length=1, description="who acts")],
    x_actor_role: Annotated[Literal["shipper", "carrier", "receiver", "official"], Header()],
    x_actor_province: Annotated[str | None, Header(pattern=r"^\d{2}$")] = None,
    x_occurred_at: Annotated[
        datetime | None, Header(description="when the act happened, if earlier than now")
    ] = None,
    idempotency_key: Annotated[
        str | None, Header(max_length=100, description="repeat it to retry safely")
    ] = None,
) -> Actor:
    if x_actor_role == "official" and x_actor_province not in deps.settings.served:
        served = ", ".join(sorted(deps.settings.served))
        raise HTTPException(
            403, f"an official of province {x_actor_province} cannot act at this node ({served})"
        )
    at = _act_time(x_occurred_at, deps.settings.max_backdate_days)
    return Actor(actor_id=x_actor_id, role=x_actor_role, province=x_actor_province, at=at,
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
