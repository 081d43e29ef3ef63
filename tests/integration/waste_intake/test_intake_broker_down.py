"""A POST while the broker is down is answered 503, never 202, and leaves nothing behind
(not even once the broker is back). Uses its own broker, so that stopping it leaves the
session broker to the other tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from intake_support import a_facility, a_report, intake_settings, read_all, register, running_intake

from zw_shared.provisioning import connect_admin, ensure_topics
from zw_shared.testing.kafka import KafkaBroker
from zw_shared.topics import WASTE_FLOW_EVENTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_broker() -> Iterator[KafkaBroker]:
    broker = KafkaBroker().start()
    admin = connect_admin(broker.bootstrap_servers)
    ensure_topics(admin, "down.")
    admin.close()
    yield broker
    broker.stop()


async def test_a_post_while_the_broker_is_down_is_503_and_nothing_is_written(
    own_broker: KafkaBroker,
) -> None:
    settings = intake_settings(own_broker.bootstrap_servers, "down.", publish_timeout_s=2.0)
    async with running_intake(settings) as intake:
        headers = await register(intake, a_facility("fac-01"))
        own_broker.pause_broker()
        try:
            response = await intake.post(
                "/v1/facilities/fac-01/events", json=a_report(), headers=headers
            )
        finally:
            own_broker.resume_broker()

    assert response.status_code == 503
    assert "nothing was recorded" in response.json()["detail"]
    assert response.headers["retry-after"] == "5"
    assert await read_all(own_broker.bootstrap_servers, WASTE_FLOW_EVENTS.full_name("down.")) == []
