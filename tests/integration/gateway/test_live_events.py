"""Live pages hear the services' events (issue 14, "The gateway under load"; issue 11's tracking).

The gateway's event feed binds its own queue to `<service>.events`; an event wakes only the
streams it concerns, which then ask the owning service again with their own caller.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pika
import pytest
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.event_feed import EventFeed, senior_key
from services.gateway.fanout import Hub
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD, login, ok, road_points_near

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
DAY = dt.datetime.now(PARIS).date() + dt.timedelta(days=12)
KITCHEN = [51.2667, 4.7125]


def _publish(amqp_uri: str, service: str, event_type: str, body: dict[str, Any]) -> None:
    """As nameko (or any pika publisher) emits an event."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        connection.channel().basic_publish(
            f"{service}.events",
            event_type,
            json.dumps(body).encode(),
            pika.BasicProperties(content_type="application/json"),
        )
    finally:
        connection.close()


def test_the_feed_wakes_the_stream_of_the_senior_an_event_names(empty_amqp_uri: str) -> None:
    hub = Hub()
    feed = EventFeed(empty_amqp_uri, hub)
    feed.start()
    try:
        assert hub.connected.wait(10), "the event feed did not bind to RabbitMQ within 10 s"

        async def scenario() -> tuple[bool, bool]:
            mine = hub.subscribe([senior_key("t1", "s-a")])
            other = hub.subscribe([senior_key("t1", "s-b")])
            body = {"tenant": "t1", "payload": {"senior_id": "s-a"}}
            await asyncio.to_thread(
                _publish, empty_amqp_uri, "routing", "delivery_eta_updated", body
            )
            woken = await mine.wait(10.0)
            # s-b's family hears nothing of s-a's delivery.
            return woken, await other.wait(0.3)

        assert asyncio.run(scenario()) == (True, False)
    finally:
        feed.close()
    assert not hub.connected.is_set()


def test_a_family_stream_shows_the_new_eta_routing_publishes(
    make_client: Callable[..., TestClient],
    live_gateway: str,
    services_amqp_uri: str,
    role_users: dict[Role, str],
    store: UserStore,
    kempen_drive_artefact: Path,
) -> None:
    client = make_client(services_amqp_uri, rpc_timeout_s=20)
    for name, role in (("driver-a", Role.DRIVER), ("famille-a", Role.FAMILY)):
        create_user(store, UserCreate(username=name, password=PASSWORD, role=role))
    dispatcher = login(client, role_users[Role.DISPATCHER])
    week = DAY - dt.timedelta(days=DAY.weekday())
    choices = [{"id": "hachis", "name": "Hachis parmentier"}]
    ok(
        client.put(
            "/menus",
            headers=dispatcher,
            json={"week": week.isoformat(), "days": [{"day": DAY.isoformat(), "choices": choices}]},
        )
    )
    for i, home in enumerate(road_points_near(kempen_drive_artefact, KITCHEN, 3, (0.03, 0.05), 7)):
        profile = {
            "id": f"s-{i}",
            "first_name": f"Senior{i}",
            "last_name": "Kempen",
            "address": f"{i} Dorpstraat",
            "commune": "59350",
            "location": home,
            "weekdays": ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"],
            "emergency_contacts": [{"name": "Fils", "phone": "+33612345678"}],
        }
        ok(client.put(f"/seniors/s-{i}", json=profile, headers=dispatcher))
        ok(
            client.put(
                f"/seniors/s-{i}/orders/{DAY}", json={"choice_id": "hachis"}, headers=dispatcher
            )
        )
    van = {"id": "van-a", "capacity": 10, "shift_start": "10:00", "shift_end": "14:30"}
    plan = ok(
        client.post(
            "/meals/day",
            headers=dispatcher,
            json={
                "date": DAY.isoformat(),
                "kitchen": KITCHEN,
                "time_limit_s": 1,
                "vehicles": [{**van, "driver": "driver-a"}],
            },
        ),
        201,
    )
    stops = plan["vehicles"][0]["stops"]
    senior = next(f"s-{i}" for i in range(3) if stops[-1]["id"].endswith(f"s-{i}"))
    ok(
        client.put(
            f"/seniors/{senior}/families/famille-a",
            headers=dispatcher,
            json={"phone": "+33611111111", "notify": False},
        )
    )
    driver = login(client, "driver-a")
    ok(client.post(f"/meal-rounds/{plan['round_id']}/van-a/start", headers=driver))
    family = login(client, "famille-a")

    frames: list[dict[str, Any]] = []
    ready = threading.Event()
    stop = threading.Event()

    def follow() -> None:
        with (
            httpx.Client(base_url=live_gateway, timeout=60) as http,
            http.stream(
                "GET",
                f"/seniors/{senior}/tracking/live",
                params={"date": DAY.isoformat()},
                headers=family,
            ) as stream,
        ):
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    frames.append(json.loads(line[5:]))
                    ready.set()
                    if frames[-1].get("eta") or stop.is_set():
                        return

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert ready.wait(20), "the family's stream sent nothing"
    assert frames[0]["eta"] is None  # no position yet: no ETA
    # The van, 30 minutes late, still at the kitchen.
    late = dt.datetime.combine(DAY, dt.time(10, 30), tzinfo=PARIS)
    ok(
        client.post(
            f"/meal-rounds/{plan['round_id']}/positions",
            headers=driver,
            json={"vehicle_id": "van-a", "location": KITCHEN, "at": late.isoformat()},
        )
    )
    reader.join(timeout=30)
    stop.set()
    assert frames[-1]["eta"], f"the new ETA never reached the family's stream: {frames}"
    pulled = ok(
        client.get(f"/seniors/{senior}/tracking", params={"date": DAY.isoformat()}, headers=family)
    )
    assert frames[-1]["eta"] == pulled["eta"] and frames[-1]["stops_before"] == len(stops) - 1
