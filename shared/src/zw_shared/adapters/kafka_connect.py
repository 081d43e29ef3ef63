"""A bound on how long an aiokafka client may take to open a connection to a broker.

aiokafka opens a connection (the TCP handshake, then the ApiVersions exchange) under the
client's request timeout. That timeout is also how long a request may wait for its answer,
and for a faust producer how long a record batch may wait before it expires: 1,200 s by
default. A connection attempt that hangs then stalls the client for that long. It happens
when a broker restarts behind podman's port forwarding: an attempt made while the
container comes back can go unanswered (neither accepted nor refused), and our CI saw one
hang for a consumer's full 40 s. The scoring worker's producer would have waited 20 minutes.

:func:`bound_connection_setup` caps the opening of every aiokafka connection in the process
at ``timeout_s`` (Kafka's Java client has the same setting,
``socket.connection.setup.timeout.ms``, 10 s by default). A capped attempt fails like a
refused one: the client logs "Unable connect to node", backs off and tries again. Requests
on an open connection keep the client's own timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from aiokafka.conn import AIOKafkaConnection

DEFAULT_TIMEOUT_S = 10.0

_Connect = Callable[[AIOKafkaConnection], Coroutine[Any, Any, Any]]
_original: _Connect = AIOKafkaConnection.connect
_timeout_s: float | None = None


def bound_connection_setup(timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Caps every aiokafka connection's set-up at ``timeout_s`` (or the client's request
    timeout, whichever is shorter), from now on and for the whole process. Calling it again
    sets a new cap."""
    if timeout_s <= 0:
        raise ValueError(f"a connection set-up timeout must be above 0 s, not {timeout_s}")
    global _timeout_s
    _timeout_s = timeout_s
    AIOKafkaConnection.connect = _bounded_connect


def connection_setup_timeout() -> float | None:
    """The cap in force (None: aiokafka's own, the request timeout)."""
    return _timeout_s


async def _bounded_connect(self: AIOKafkaConnection) -> Any:
    if _timeout_s is None:
        return await _original(self)
    # aiokafka closes the connection when the set-up is cut short (it catches everything)
    async with asyncio.timeout(_timeout_s):
        return await _original(self)
