"""Who a test, a bench or the simulator says it is, in one place.

Every client outside a service builds its identity headers here, so that a change in how the
services authenticate callers changes one module, not every test.
"""

from __future__ import annotations


def actor_headers(
    actor_id: str, role: str, province: str | None = None, **extra: str
) -> dict[str, str]:
    """Headers of a hazardous-transfer actor (shipper, carrier, receiver or official)."""
    found = {"X-Actor-Id": actor_id, "X-Actor-Role": role, **extra}
    if province:
        found["X-Actor-Province"] = province
    return found


def official_headers(province: str = "31", actor_id: str = "official-31") -> dict[str, str]:
    """Headers of an official reading scores (scoring's read endpoints)."""
    return {}
