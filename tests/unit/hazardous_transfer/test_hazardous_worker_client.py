"""The API's client of the node's workers: it reads from the active worker, passes over a
standby (421) or a worker that does not answer, and answers 503 with Retry-After when the
node has no active worker (a standby is taking over)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from hazardous_transfer.adapters.worker_client import (
    WorkerClient,
    WorkerUnreachable,
    worker_urls,
)
from zw_shared.testing.kafka import free_port


@asynccontextmanager
async def worker(status: int, seen: list[str], name: str) -> AsyncIterator[str]:
    """A web server answering every path with ``status`` and its name; records the calls."""

    async def answer(request: web.Request) -> web.Response:
        seen.append(name)
        return web.json_response({"worker": name, "path": request.path}, status=status)

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def client(*urls: str) -> AsyncIterator[WorkerClient]:
    worker_client = WorkerClient(",".join(urls), timeout_s=5)
    await worker_client.start()
    try:
        yield worker_client
    finally:
        await worker_client.stop()


async def test_reads_come_from_the_active_worker_not_the_standby() -> None:
    seen: list[str] = []
    async with (
        worker(421, seen, "standby") as standby,
        worker(200, seen, "active") as active,
        client(standby, active) as workers,
    ):
        first = await workers.get("/records/manifests/1")
        second = await workers.get("/records/manifests/2")

    assert (first.status, json.loads(first.body)["worker"]) == (200, "active")
    assert (second.status, json.loads(second.body)["path"]) == (200, "/records/manifests/2")
    # the standby was asked once; then the active worker is asked first
    assert seen == ["standby", "active", "active"]


async def test_a_worker_that_does_not_answer_is_passed_over() -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    seen: list[str] = []
    async with worker(200, seen, "active") as active, client(down, active) as workers:
        answer = await workers.get("/records/applications")

    assert answer.status == 200
    assert seen == ["active"]


async def test_a_node_with_only_standbys_answers_503_with_retry_after() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    seen: list[str] = []
    async with worker(421, seen, "standby") as standby, client(down, standby) as workers:
        answer = await workers.get("/records/manifests/1")

    assert answer.status == 503
    assert answer.retry_after == "1"
    assert "no active worker" in json.loads(answer.body)["detail"]


async def test_no_worker_answering_is_unreachable_naming_each() -> None:
    downs = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
    async with client(*downs) as workers:
        with pytest.raises(WorkerUnreachable) as raised:
            await workers.get("/records/manifests/1")

    assert all(url in str(raised.value) for url in downs)


async def test_a_worker_answer_other_than_421_is_passed_on_as_it_is() -> None:
    seen: list[str] = []
    async with (
        worker(404, seen, "active") as active,
        worker(200, seen, "other") as other,
        client(active, other) as workers,
    ):
        answer = await workers.get("/records/manifests/nope")

    assert answer.status == 404, "a 404 of the active worker is the node's answer"
    assert seen == ["active"]


def test_the_setting_names_one_worker_or_several() -> None:
    assert worker_urls("http://w:6063/") == ["http://w:6063"]
    assert worker_urls(" http://a:6063 , http://b:6063 ") == ["http://a:6063", "http://b:6063"]
    with pytest.raises(ValueError, match="names no worker"):
        worker_urls(" , ")
