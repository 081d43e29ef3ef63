"""The cap on an aiokafka connection's set-up (zw_shared.adapters.kafka_connect): a broker
address that takes the TCP connection but never answers the ApiVersions request stalls a
client for its whole request timeout (a faust producer's is 20 minutes) unless the cap cuts
the attempt short. Uses a local socket that accepts and stays silent: no broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka.conn import AIOKafkaConnection, create_conn

from zw_shared.adapters import kafka_connect

pytestmark = pytest.mark.unit

REQUEST_TIMEOUT_MS = 600_000  # what the client alone would wait


@pytest.fixture
def uncapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Restores aiokafka's own connect (and no cap) after the test."""
    monkeypatch.setattr(AIOKafkaConnection, "connect", AIOKafkaConnection.connect)
    monkeypatch.setattr(kafka_connect, "_timeout_s", None)


class SilentPeer:
    """Accepts connections, reads what comes, never answers; notes when a peer hangs up."""

    def __init__(self) -> None:
        self.hung_up = asyncio.Event()
        self.received = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(4096):
            self.received += len(chunk)
        self.hung_up.set()
        writer.close()


@pytest.fixture
async def silent() -> AsyncIterator[tuple[SilentPeer, int]]:
    peer = SilentPeer()
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield peer, port
    server.close()


async def attempt(port: int, within_s: float) -> asyncio.Task[object]:
    task = asyncio.ensure_future(
        create_conn("127.0.0.1", port, request_timeout_ms=REQUEST_TIMEOUT_MS)
    )
    await asyncio.wait({task}, timeout=within_s)
    return task


async def test_a_capped_set_up_fails_and_hangs_up(
    uncapped: None, silent: tuple[SilentPeer, int]
) -> None:
    peer, port = silent
    kafka_connect.bound_connection_setup(0.3)

    task = await attempt(port, within_s=30)

    assert task.done(), "the connection set-up ran past its cap"
    assert isinstance(task.exception(), TimeoutError)
    assert peer.received > 0, "the client sent its ApiVersions request"
    await asyncio.wait_for(peer.hung_up.wait(), 10)  # the cut attempt closed its socket


async def test_without_the_cap_the_client_waits_on(
    uncapped: None, silent: tuple[SilentPeer, int]
) -> None:
    _, port = silent

    task = await attempt(port, within_s=1.0)

    assert not task.done(), "aiokafka alone gave up within 1 s: the cap would be moot"
    task.cancel()


def test_the_cap_must_be_positive(uncapped: None) -> None:
    with pytest.raises(ValueError, match="above 0 s"):
        kafka_connect.bound_connection_setup(0)
    assert kafka_connect.connection_setup_timeout() is None
