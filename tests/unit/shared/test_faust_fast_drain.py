"""The workers' consumer hands a record to the streams in its draining task when the hand-over
does not wait, and otherwise as faust does: raced against the suspension of the flow.

The hand-overs here are coroutines standing in for faust's conductor callback: one that
returns at once, one that waits on a future (a full stream buffer), one that fails."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mode import Service

from zw_shared.adapters.faust_drain import FastDrain

pytestmark = pytest.mark.unit


class _Consumer(FastDrain, Service):
    def __init__(self) -> None:
        super().__init__()
        self.suspend_flow = asyncio.Event()


class _HandOver:
    """A conductor callback: records what happened to it, optionally waiting on ``blocked``."""

    def __init__(self, blocked: asyncio.Future[str] | None = None) -> None:
        self.blocked = blocked
        self.steps: list[str] = []
        self.ran_in: asyncio.Task[Any] | None = None

    async def __call__(self) -> str:
        self.ran_in = asyncio.current_task()
        self.steps.append("started")
        try:
            if self.blocked is not None:
                self.steps.append(f"got {await self.blocked}")
        except asyncio.CancelledError:
            self.steps.append("cancelled")
            raise
        self.steps.append("done")
        return "delivered"


async def test_a_hand_over_that_does_not_wait_runs_in_the_draining_task() -> None:
    consumer, hand_over = _Consumer(), _HandOver()

    await consumer._deliver(hand_over())

    assert hand_over.steps == ["started", "done"]
    assert hand_over.ran_in is asyncio.current_task()


async def test_a_hand_over_that_waits_is_finished_before_the_next_record() -> None:
    consumer = _Consumer()
    blocked: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    hand_over = _HandOver(blocked)
    asyncio.get_running_loop().call_later(0.05, blocked.set_result, "room in the buffer")

    await asyncio.wait_for(consumer._deliver(hand_over()), timeout=5)

    assert hand_over.steps == ["started", "got room in the buffer", "done"]


async def test_a_waiting_hand_over_gives_way_when_the_flow_is_suspended() -> None:
    consumer = _Consumer()
    blocked: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    hand_over = _HandOver(blocked)
    asyncio.get_running_loop().call_later(0.05, consumer.suspend_flow.set)

    await asyncio.wait_for(consumer._deliver(hand_over()), timeout=5)
    await asyncio.sleep(0)  # the cancelled hand-over's last step

    assert hand_over.steps == ["started", "cancelled"]
    assert blocked.cancelled()  # what it waited on is given up, as in any cancelled task


async def test_a_hand_over_that_fails_before_waiting_raises_in_the_drain() -> None:
    async def failing() -> None:
        raise RuntimeError("no such topic")

    with pytest.raises(RuntimeError, match="no such topic"):
        await _Consumer()._deliver(failing())


async def test_a_hand_over_that_fails_after_waiting_raises_in_the_drain() -> None:
    blocked: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_later(0.05, blocked.set_exception, OSError("broker gone"))

    with pytest.raises(OSError, match="broker gone"):
        await asyncio.wait_for(_Consumer()._deliver(_HandOver(blocked)()), timeout=5)
