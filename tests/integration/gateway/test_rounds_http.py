"""Rounds over HTTP on the real services: plan, view, re-plan, the driver's own round, containers.

routing runs with the real Kempen road graph (`services_amqp_uri`); solves are time-limited to
1 s, so the tests check what the plan holds, never its exact order or cost.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD, login

pytestmark = pytest.mark.integration

KITCHEN = [51.2667, 4.7125]
HOMES = {
    "d1": ([51.2983, 4.7331], "Mme Janssens", "Dorpstraat 1, Zoersel"),
    "d2": ([51.2260, 4.7720], "M. Peeters", "Kerkplein 4, Halle"),
    "d3": ([51.2480, 4.8420], "Mme Claes", "Schoolstraat 9, Pulle"),
    "d4": ([51.2860, 4.8020], "M. Maes", "Lindenlaan 2, Oostmalle"),
}


def meal_request(day: dt.date, driver: str) -> dict[str, Any]:
    """A 4-stop meal round for one van driven by `driver`."""
    return {
        "date": day.isoformat(),
        "kitchen": KITCHEN,
        "deliveries": [
            {
                "id": stop_id,
                "location": location,
                "window_start": "10:30",
                "window_end": "13:00",
                "recipient_name": name,
                "address": address,
            }
            for stop_id, (location, name, address) in HOMES.items()
        ],
        "vehicles": [
            {
                "id": "van-1",
                "capacity": 10,
                "shift_start": "10:00",
                "shift_end": "14:00",
                "driver": driver,
            }
        ],
        "time_limit_s": 1,
    }


def paris_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date()


@pytest.fixture
def dispatcher_client(make_client: Callable[..., TestClient], services_amqp_uri: str) -> TestClient:
    return make_client(services_amqp_uri)


def _plan(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/rounds/meals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def test_dispatcher_plans_a_meal_round_and_finds_it_by_id_and_by_date(
    dispatcher_client: TestClient, role_users: dict[Role, str]
) -> None:
    client = dispatcher_client
    headers = login(client, role_users[Role.DISPATCHER])
    day = paris_today()

    plan = _plan(client, headers, meal_request(day, role_users[Role.DRIVER]))

    assert plan["feasible"] is True and plan["unserved"] == []
    (van,) = plan["vehicles"]
    assert van["driver"] == role_users[Role.DRIVER]
    assert sorted(stop["id"] for stop in van["stops"]) == sorted(HOMES)
    arrivals = [stop["arrival"] for stop in van["stops"]]
    assert arrivals == sorted(arrivals)
    assert all("10:30" <= stop["service_start"] <= "13:00" for stop in van["stops"])
    assert van["km"] > 0 and van["co2_kg"] > 0
    assert van["geometry"]["geometry"]["type"] == "LineString"
    assert {stop["recipient_name"] for stop in van["stops"]} == {h[1] for h in HOMES.values()}

    by_id = client.get(f"/rounds/{plan['round_id']}", headers=headers)
    assert by_id.status_code == 200, by_id.text
    assert by_id.json() == plan
    by_date = client.get("/rounds", params={"date": day.isoformat()}, headers=headers)
    assert by_date.status_code == 200, by_date.text
    assert [p["round_id"] for p in by_date.json()] == [plan["round_id"]]
    other_day = client.get(
        "/rounds", params={"date": (day + dt.timedelta(days=1)).isoformat()}, headers=headers
    )
    assert other_day.json() == []
    missing = client.get("/rounds/meals-nope", headers=headers)
    assert missing.status_code == 404 and "meals-nope" in missing.json()["detail"]


def test_a_plan_sent_again_with_its_client_key_is_the_same_plan_and_never_a_second(
    dispatcher_client: TestClient, role_users: dict[Role, str]
) -> None:
    client = dispatcher_client
    headers = login(client, role_users[Role.DISPATCHER])
    day = paris_today()
    body = meal_request(day, role_users[Role.DRIVER]) | {"client_key": "tournee-du-jour"}

    first = _plan(client, headers, body)
    # A retry after a 503 or a timeout may allow the solver longer: still the same request.
    again = _plan(client, headers, body | {"time_limit_s": 2})
    other = client.post("/rounds/meals", json=body | {"max_ride_minutes": 90}, headers=headers)
    without_key = _plan(client, headers, meal_request(day, role_users[Role.DRIVER]))

    assert again == first
    assert other.status_code == 409 and "client_key" in other.json()["detail"]
    by_date = client.get("/rounds", params={"date": day.isoformat()}, headers=headers)
    assert sorted(p["round_id"] for p in by_date.json()) == sorted(
        [first["round_id"], without_key["round_id"]]
    )


def test_a_driver_gets_only_their_own_round_and_cannot_plan(
    dispatcher_client: TestClient, role_users: dict[Role, str], store: UserStore
) -> None:
    client = dispatcher_client
    create_user(store, UserCreate(username="driver-2", password=PASSWORD, role=Role.DRIVER))
    day = paris_today()
    plan = _plan(
        client,
        login(client, role_users[Role.DISPATCHER]),
        meal_request(day, role_users[Role.DRIVER]),
    )

    mine = client.get("/me/round", headers=login(client, role_users[Role.DRIVER]))
    assert mine.status_code == 200, mine.text
    assert [p["round_id"] for p in mine.json()] == [plan["round_id"]]
    assert mine.json()[0]["vehicles"] == plan["vehicles"]
    driver_2 = login(client, "driver-2")
    assert client.get("/me/round", headers=driver_2).json() == []
    assert client.get("/me/round", params={"date": day.isoformat()}, headers=driver_2).json() == []

    driver = login(client, role_users[Role.DRIVER])
    refused = client.post("/rounds/meals", json=meal_request(day, "x"), headers=driver)
    assert refused.status_code == 403
    assert client.get(f"/rounds/{plan['round_id']}", headers=driver).status_code == 403
    family = login(client, role_users[Role.FAMILY])
    assert client.get("/me/round", headers=family).status_code == 403


def _first_stop_done(plan: dict[str, Any]) -> dict[str, Any]:
    """A replan from van-1's first stop, just done."""
    first = plan["vehicles"][0]["stops"][0]
    return {"vehicle_id": "van-1", "position": first["location"], "now": first["service_start"],
            "done": [first["id"]], "cancelled": [], "time_limit_s": 1}  # fmt: skip


def test_a_replan_over_http_keeps_the_done_stops_first(
    dispatcher_client: TestClient, role_users: dict[Role, str]
) -> None:
    client = dispatcher_client
    headers = login(client, role_users[Role.DISPATCHER])
    plan = _plan(client, headers, meal_request(paris_today(), role_users[Role.DRIVER]))
    first = plan["vehicles"][0]["stops"][0]

    response = client.post(
        f"/rounds/{plan['round_id']}/replan", json=_first_stop_done(plan), headers=headers
    )

    assert response.status_code == 200, response.text
    new = response.json()
    assert new["round_id"] == plan["round_id"] and new["version"] == plan["version"] + 1
    stops = new["vehicles"][0]["stops"]
    assert stops[0]["id"] == first["id"] and stops[0]["done"] is True
    assert sorted(s["id"] for s in stops) == sorted(HOMES)
    assert not any(s["done"] for s in stops[1:])
    fetched = client.get(f"/rounds/{plan['round_id']}", headers=headers).json()
    assert fetched["version"] == new["version"]


def test_a_replan_sent_again_with_its_client_key_makes_one_version(
    dispatcher_client: TestClient, role_users: dict[Role, str]
) -> None:
    client = dispatcher_client
    headers = login(client, role_users[Role.DISPATCHER])
    plan = _plan(client, headers, meal_request(paris_today(), role_users[Role.DRIVER]))
    change = _first_stop_done(plan) | {"client_key": "retard-10h12"}
    url = f"/rounds/{plan['round_id']}/replan"

    once = client.post(url, json=change, headers=headers)
    again = client.post(url, json=change, headers=headers)
    other = client.post(url, json=change | {"delay_minutes": 15}, headers=headers)

    assert once.status_code == again.status_code == 200, (once.text, again.text)
    assert once.json()["version"] == again.json()["version"] == plan["version"] + 1
    assert other.status_code == 409 and "client_key" in other.json()["detail"]
    fetched = client.get(f"/rounds/{plan['round_id']}", headers=headers).json()
    assert fetched["version"] == plan["version"] + 1


def test_an_unknown_round_cannot_be_replanned(
    dispatcher_client: TestClient, role_users: dict[Role, str]
) -> None:
    client = dispatcher_client
    response = client.post(
        "/rounds/meals-nope/replan",
        json={"vehicle_id": "van-1", "position": KITCHEN, "now": "11:00", "time_limit_s": 1},
        headers=login(client, role_users[Role.DISPATCHER]),
    )
    assert response.status_code == 404 and "meals-nope" in response.json()["detail"]


def test_a_window_that_ends_before_it_starts_is_refused_with_the_reason(
    dispatcher_client: TestClient, role_users: dict[Role, str]
) -> None:
    client = dispatcher_client
    body = meal_request(paris_today(), role_users[Role.DRIVER])
    body["deliveries"][2] = {
        **body["deliveries"][2],
        "window_start": "12:00",
        "window_end": "11:00",
    }

    response = client.post(
        "/rounds/meals", json=body, headers=login(client, role_users[Role.DISPATCHER])
    )

    assert response.status_code == 422
    assert "delivery d3: window ends before it starts" in response.json()["detail"]


def test_container_readings_are_recorded_once_and_bad_ones_refused_with_the_reason(
    dispatcher_client: TestClient, role_users: dict[Role, str]
) -> None:
    client = dispatcher_client
    headers = login(client, role_users[Role.DISPATCHER])
    container = f"c-{uuid.uuid4().hex[:6]}"
    registered = client.post(
        "/containers",
        json=[{"id": container, "location": [51.2983, 4.7331], "volume_litres": 660}],
        headers=headers,
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["registered"] == 1 and registered.json()["refused"] == 0
    reading = {
        "reading_id": f"r-{uuid.uuid4().hex[:8]}",
        "container_id": container,
        "at": "2026-11-23T08:00:00+01:00",
        "level_pct": 62.5,
    }

    first = client.post("/containers/readings", json=reading, headers=headers)
    again = client.post("/containers/readings", json=reading, headers=headers)
    unknown = client.post(
        "/containers/readings",
        json={**reading, "reading_id": "r-other", "container_id": "c-nowhere"},
        headers=headers,
    )
    overfull = client.post(
        "/containers/readings", json={**reading, "level_pct": 140}, headers=headers
    )

    assert first.status_code == 200, first.text
    assert first.json() == {"reading_id": reading["reading_id"], "status": "recorded"}
    assert again.json() == {"reading_id": reading["reading_id"], "status": "duplicate"}
    assert unknown.status_code == 422 and "unknown container 'c-nowhere'" in unknown.text
    assert overfull.status_code == 422
    assert "level_pct" in overfull.json()["detail"] and "100" in overfull.json()["detail"]
    driver = login(client, role_users[Role.DRIVER])
    assert client.post("/containers/readings", json=reading, headers=driver).status_code == 403
