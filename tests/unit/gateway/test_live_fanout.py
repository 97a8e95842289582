"""The live pages' fan-out: an event wakes the streams of its senior (or welfare desk) only."""

from __future__ import annotations

import asyncio
import threading

import pytest

from services.gateway.event_feed import campaign_key, keys_of, senior_key, welfare_key
from services.gateway.fanout import Hub

pytestmark = pytest.mark.unit


def _eta(tenant: str, senior: str) -> dict[str, object]:
    return {"tenant": tenant, "payload": {"senior_id": senior, "eta": "2026-12-01T11:00:00+01:00"}}


def test_an_eta_event_concerns_its_senior_of_its_tenant_only() -> None:
    keys = keys_of("routing", "delivery_eta_updated", _eta("t1", "s-a"))
    assert keys == [senior_key("t1", "s-a")]
    assert senior_key("t1", "s-a") != senior_key("t2", "s-a")


def test_a_welfare_event_wakes_the_desk_and_the_senior() -> None:
    body = {"tenant": "t1", "payload": {"case_id": "c1", "senior_id": "s-a"}}
    assert set(keys_of("alerts", "welfare_check_opened", body)) == {
        senior_key("t1", "s-a"),
        welfare_key("t1"),
    }


@pytest.mark.parametrize(
    "body", [None, "text", {"tenant": 3, "payload": {}}, {"tenant": "t1", "payload": []}, {}]
)
def test_an_unreadable_event_wakes_nobody(body: object) -> None:
    assert keys_of("routing", "delivery_eta_updated", body) == []


def test_a_family_is_woken_by_its_seniors_event_and_not_by_anothers() -> None:
    async def scenario() -> tuple[bool, bool]:
        hub = Hub()
        hub.connected.set()
        mine = hub.subscribe([senior_key("t1", "s-a")])
        other = hub.subscribe([senior_key("t1", "s-b")])
        # Published from another thread, as the feed does.
        thread = threading.Thread(target=hub.publish, args=(senior_key("t1", "s-a"),))
        thread.start()
        thread.join()
        woken = await mine.wait(5.0)
        not_woken = await other.wait(0.05)
        mine.close()
        other.close()
        assert hub.subscribers() == 0
        return woken, not_woken

    assert asyncio.run(scenario()) == (True, False)


def test_events_while_a_stream_is_busy_cost_it_one_fetch() -> None:
    async def scenario() -> list[bool]:
        hub = Hub()
        sub = hub.subscribe([welfare_key("t1")])
        for _ in range(10):
            hub.publish(welfare_key("t1"))
        return [await sub.wait(1.0), await sub.wait(0.05)]

    assert asyncio.run(scenario()) == [True, False]


def test_a_reconnected_feed_wakes_every_stream() -> None:
    async def scenario() -> bool:
        hub = Hub()
        sub = hub.subscribe([senior_key("t1", "s-a")])
        hub.wake_all()
        return await sub.wait(1.0)

    assert asyncio.run(scenario())


def test_a_campaigns_progress_wakes_that_campaigns_streams_of_its_tenant_only() -> None:
    body = {"tenant": "t1", "payload": {"campaign_id": "cmp-1", "status": "sending"}}
    assert keys_of("alerts", "campaign_progress_updated", body) == [campaign_key("t1", "cmp-1")]
    assert campaign_key("t1", "cmp-1") not in (campaign_key("t2", "cmp-1"), campaign_key("t1", "x"))
