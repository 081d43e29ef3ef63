"""Fixtures of the waste-intake integration tests (helpers live in intake_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from intake_support import (
    ReadTopic,
    a_facility,
    intake_settings,
    read_all,
    register,
    running_intake,
)


@pytest.fixture
async def intake(kafka_bootstrap: str, provisioned_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running_intake(intake_settings(kafka_bootstrap, provisioned_prefix)) as client:
        yield client


@pytest.fixture
async def fac01(intake: httpx.AsyncClient) -> dict[str, str]:
    """Headers of facility fac-01 (a generator in cell-campus-01), registered with a key."""
    return await register(intake, a_facility("fac-01"))


@pytest.fixture
def read_topic(kafka_bootstrap: str) -> ReadTopic:
    async def read(topic: str) -> list[object]:
        return await read_all(kafka_bootstrap, topic)

    return read
