"""Containers over HTTP (issue 10), and ownership of rounds, containers and deliveries (issue 9):
a user of the same role who does not own the object gets 404, and nothing changes.

Dispatchers reach their whole tenant, so "another dispatcher" is the dispatcher of another
tenant; drivers reach only the stops of their own round that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from fastapi.testclient import TestClient

from contracts.gateway import TenantUpdate
from contracts.users import Commune, Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD, _clean_tenant, login
from tests.integration.gateway.test_rounds_http import meal_request, paris_today

pytestmark = pytest.mark.integration

FIELD = [51.26297, 4.75736]  # in the fields, 854 m from Blommerschot
ON_A_ROAD = [51.2750, 4.7700]  # on Oostmalsebaan
CHURCH = {"id": "c-church", "name": "Kerkplein", "location": [51.2983, 4.7331],
          "volume_litres": 660}  # fmt: skip


@pytest.fixture
def client(make_client: Callable[..., TestClient], services_amqp_uri: str) -> TestClient:
    return make_client(services_amqp_uri)


@pytest.fixture
def other_tenant(
    make_client: Callable[..., TestClient], services_amqp_uri: str, redis_conn: redis.Redis
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Another intercommunality on the same stack, with its own dispatcher logged in."""
    name = f"t-other-{dt.datetime.now().strftime('%H%M%S%f')}"
    users = UserStore(redis_conn, name)
    users.set_tenant(
        TenantUpdate(name="CC voisine", communes=(Commune(code="59043", name="Bailleul"),))
    )
    create_user(users, UserCreate(username="dispatcher-b", password=PASSWORD, role=Role.DISPATCHER))
    other = make_client(services_amqp_uri, tenant=name)
    yield other, login(other, "dispatcher-b")
    _clean_tenant(redis_conn, name)


def test_containers_are_refused_in_a_field_then_listed_moved_retired_and_deleted(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    headers = login(client, role_users[Role.DISPATCHER])
    farm = {"id": "c-farm", "name": "Hoeve De Linde", "location": FIELD, "volume_litres": 660}

    mixed = client.post("/containers", json=[CHURCH, farm], headers=headers)
    alone = client.post("/containers", json=[farm], headers=headers)
    listed = client.get("/containers", headers=headers)
    moved = client.patch("/containers/c-farm", json={"location": ON_A_ROAD}, headers=headers)
    registered = client.post("/containers", json=[{**farm, "location": ON_A_ROAD}], headers=headers)
    still_far = client.patch("/containers/c-farm", json={"location": FIELD}, headers=headers)
    retired = client.patch("/containers/c-church", json={"retired": True}, headers=headers)
    detail = client.get("/containers/c-church", headers=headers)
    deleted = client.delete("/containers/c-farm", headers=headers)
    after = client.get("/containers", headers=headers)
    gone = client.get("/containers/c-farm", headers=headers)

    assert mixed.status_code == 200, mixed.text
    church, refused = mixed.json()["items"]
    assert church == {"id": "c-church", "status": "registered", "detail": "",
                      "location": CHURCH["location"], "distance_m": None,
                      "nearest_road": None}  # fmt: skip
    assert refused["status"] == "refused" and refused["nearest_road"] == "Blommerschot"
    assert (
        "c-farm (Hoeve De Linde) is 854 m from the nearest road (Blommerschot)"
        in (refused["detail"])
    )
    assert alone.status_code == 422 and "Blommerschot" in alone.json()["detail"]
    assert [c["id"] for c in listed.json()] == ["c-church"]
    assert moved.status_code == 404  # it was never registered
    assert registered.json()["registered"] == 1
    assert still_far.status_code == 422 and "854 m" in still_far.json()["detail"]
    assert retired.status_code == 200 and retired.json()["retired"] is True
    assert detail.json()["container"]["retired"] is True and detail.json()["readings"] == []
    assert deleted.status_code == 204
    assert [(c["id"], c["retired"]) for c in after.json()] == [("c-church", True)]
    assert gone.status_code == 404 and "c-farm" in gone.json()["detail"]
    driver = login(client, role_users[Role.DRIVER])
    assert client.get("/containers", headers=driver).status_code == 403


def test_another_tenants_dispatcher_gets_404_on_containers_and_rounds_and_nothing_changes(
    client: TestClient,
    role_users: dict[Role, str],
    other_tenant: tuple[TestClient, dict[str, str]],
) -> None:
    headers = login(client, role_users[Role.DISPATCHER])
    assert client.post("/containers", json=[CHURCH], headers=headers).status_code == 200
    plan = client.post(
        "/rounds/meals", json=meal_request(paris_today(), role_users[Role.DRIVER]), headers=headers
    ).json()
    stranger, theirs = other_tenant
    replan = {"vehicle_id": "van-1", "position": CHURCH["location"], "now": "11:00",
              "time_limit_s": 1}  # fmt: skip

    answers: dict[str, Any] = {
        "get container": stranger.get("/containers/c-church", headers=theirs),
        "move container": stranger.patch(
            "/containers/c-church", json={"location": ON_A_ROAD}, headers=theirs
        ),
        "delete container": stranger.delete("/containers/c-church", headers=theirs),
        "get round": stranger.get(f"/rounds/{plan['round_id']}", headers=theirs),
        "replan round": stranger.post(
            f"/rounds/{plan['round_id']}/replan", json=replan, headers=theirs
        ),
    }

    assert {what: r.status_code for what, r in answers.items()} == dict.fromkeys(answers, 404)
    assert stranger.get("/containers", headers=theirs).json() == []
    assert (
        stranger.get("/rounds", params={"date": paris_today().isoformat()}, headers=theirs).json()
        == []
    )
    container = client.get("/containers/c-church", headers=headers).json()["container"]
    assert container["location"] == CHURCH["location"] and container["retired"] is False
    assert client.get(f"/rounds/{plan['round_id']}", headers=headers).json() == plan


def test_a_driver_reports_a_failed_delivery_only_on_their_own_round_and_once_a_day(
    client: TestClient, role_users: dict[Role, str], store: UserStore
) -> None:
    create_user(store, UserCreate(username="driver-2", password=PASSWORD, role=Role.DRIVER))
    body = meal_request(paris_today(), role_users[Role.DRIVER])
    for delivery in body["deliveries"]:
        delivery["commune"] = "59350"
    plan = client.post(
        "/rounds/meals", json=body, headers=login(client, role_users[Role.DISPATCHER])
    ).json()
    stop = plan["vehicles"][0]["stops"][0]
    now = dt.datetime.now(dt.UTC)
    report = {"commune": "59350", "recipient_name": stop["recipient_name"],
              "reason": "no_answer", "attempted_at": now.isoformat()}  # fmt: skip

    other_driver = client.post(
        f"/deliveries/{stop['id']}/failure", json=report, headers=login(client, "driver-2")
    )
    unknown = client.post(
        "/deliveries/d-nowhere/failure", json=report, headers=login(client, "driver-2")
    )
    driver = login(client, role_users[Role.DRIVER])
    first = client.post(f"/deliveries/{stop['id']}/failure", json=report, headers=driver)
    later = {**report, "attempted_at": (now + dt.timedelta(minutes=5)).isoformat()}
    again = client.post(f"/deliveries/{stop['id']}/failure", json=later, headers=driver)

    assert other_driver.status_code == 404, other_driver.text
    # Someone else's delivery answers like one that does not exist.
    assert unknown.status_code == 404
    assert other_driver.json()["detail"].replace(stop["id"], "X") == unknown.json()[
        "detail"
    ].replace("d-nowhere", "X")
    # The refused report recorded nothing: the driver's own report is the first one.
    assert first.status_code == 202 and first.json()["new"] is True
    assert again.status_code == 202 and again.json()["new"] is False


def test_the_dispatcher_reads_each_containers_forecast_fullest_first(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    headers = login(client, role_users[Role.DISPATCHER])
    road = {"id": "c-road", "name": "Oostmalsebaan", "location": ON_A_ROAD, "volume_litres": 660}
    old = {"id": "c-old", "name": "Oude markt", "location": ON_A_ROAD, "volume_litres": 660}
    assert client.post("/containers", json=[CHURCH, road, old], headers=headers).status_code == 200
    assert client.patch("/containers/c-old", json={"retired": True}, headers=headers).is_success
    today = paris_today()
    eight = dt.time(8, 0, tzinfo=ZoneInfo("Europe/Paris"))
    readings = [("c-church", -2, 20), ("c-church", -1, 30), ("c-church", 0, 40), ("c-road", 0, 90)]
    for cid, day, level in readings:
        at = dt.datetime.combine(today + dt.timedelta(days=day), eight).isoformat()
        reading = {"reading_id": f"{cid}{day}", "container_id": cid, "at": at, "level_pct": level}
        assert client.post("/containers/readings", json=reading, headers=headers).is_success

    in_two_days = (today + dt.timedelta(days=2)).isoformat()
    seen = client.get(
        "/container-forecasts",
        params={"date": in_two_days, "collection_time": "08:00"},
        headers=headers,
    )
    bad_time = client.get(
        "/container-forecasts", params={"collection_time": "25:00"}, headers=headers
    )

    assert seen.status_code == 200, seen.text
    outlook = seen.json()
    assert outlook["at"].startswith(f"{in_two_days}T08:00:00")
    # Fullest first; a retired container is out of service.
    assert [c["id"] for c in outlook["containers"]] == ["c-road", "c-church"]
    road_seen, church_seen = outlook["containers"]
    assert road_seen["verdict"] == "collect" and road_seen["last_level_pct"] == 90
    assert church_seen["forecast_pct"] == pytest.approx(60, abs=0.5)
    assert church_seen["rate_pct_per_day"] == pytest.approx(10, abs=0.2)
    assert church_seen["verdict"] == "optional" and church_seen["name"] == "Kerkplein"
    assert church_seen["full_at"].startswith((today + dt.timedelta(days=4)).isoformat())
    assert bad_time.status_code == 422 and "collection_time" in bad_time.text
