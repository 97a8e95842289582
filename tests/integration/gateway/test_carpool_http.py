"""Carpool over HTTP on the real services and the Kempen road graph: offer, search, book,
answer, cancel with re-matching, trips; ownership on every id-taking route; bad input."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.alerts import feed_records
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD, login

pytestmark = pytest.mark.integration

ZOERSEL = [51.2667, 4.7125]
EAST = [51.2480, 4.8420]
ON_THE_WAY_FROM = [51.24495, 4.70175]
ON_THE_WAY_TO = [51.25205, 4.81548]
DAY = (dt.date.today() + dt.timedelta(days=3)).isoformat()


def offer(**extra: Any) -> dict[str, Any]:
    return {
        "origin": ZOERSEL,
        "destination": EAST,
        "origin_label": "Zoersel",
        "destination_label": "Pulle",
        "origin_commune": "59270",
        "date": DAY,
        "depart_earliest": "08:00",
        "depart_latest": "08:30",
        "seats": 2,
        "first_name": "Jan",
        **extra,
    }


def request(**extra: Any) -> dict[str, Any]:
    return {
        "origin": ON_THE_WAY_FROM,
        "destination": ON_THE_WAY_TO,
        "date": DAY,
        "depart_after": "07:45",
        "depart_before": "08:45",
        "first_name": "Marie",
        **extra,
    }


@pytest.fixture
def people(
    make_client: Callable[..., TestClient], services_amqp_uri: str, store: UserStore
) -> tuple[TestClient, dict[str, dict[str, str]]]:
    for name, role in (("jan", Role.RESIDENT), ("marie", Role.RESIDENT), ("eve", Role.RESIDENT),
                       ("disp", Role.DISPATCHER)):  # fmt: skip
        create_user(store, UserCreate(username=name, password=PASSWORD, role=role))
    client = make_client(services_amqp_uri)
    return client, {name: login(client, name) for name in ("jan", "marie", "eve", "disp")}


def test_offer_search_book_accept_and_the_trip_report(
    people: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, as_ = people
    made = client.post("/carpool/offers", json=offer(), headers=as_["jan"])
    assert made.status_code == 201, made.text
    assert made.json()["dates"] == [DAY]
    asked = client.post("/carpool/requests", json=request(), headers=as_["marie"])
    assert asked.status_code == 201, asked.text
    (match,) = asked.json()["matches"]
    assert "min de détour" in match["reason"] or "sans détour" in match["reason"]
    booked = client.post(
        "/carpool/bookings",
        json={"request_id": asked.json()["request"]["request_id"],
              "offer_id": match["offer_id"], "date": DAY},
        headers=as_["marie"],
    )  # fmt: skip
    assert booked.status_code == 201, booked.text
    booking_id = booked.json()["booking_id"]
    accepted = client.post(
        f"/carpool/bookings/{booking_id}/answer", json={"accept": True}, headers=as_["jan"]
    )
    assert accepted.json()["status"] == "confirmed"
    again = client.post(
        f"/carpool/bookings/{booking_id}/answer", json={"accept": True}, headers=as_["jan"]
    )
    assert again.status_code == 409 and "already confirmed" in again.json()["detail"]
    mine = client.get("/carpool/me", headers=as_["marie"]).json()
    assert [b["booking_id"] for b in mine["bookings"]] == [booking_id]

    done = client.post(f"/carpool/offers/{match['offer_id']}/{DAY}/complete", headers=as_["jan"])
    assert done.status_code == 200 and done.json()["passengers"] == ["marie"]
    report = client.get(f"/carpool/trips.csv?month={DAY[:7]}", headers=as_["disp"])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    header, row = report.text.splitlines()[:2]
    assert "co2_saved_kg" in header and "Zoersel" in row
    theirs = client.get(f"/carpool/trips.csv?month={DAY[:7]}&commune=59270", headers=as_["disp"])
    assert len(theirs.text.splitlines()) == 2  # the ride starts in 59270
    other = client.get(f"/carpool/trips.csv?month={DAY[:7]}&commune=62765", headers=as_["disp"])
    assert other.text.splitlines() == [header]
    assert client.get(f"/carpool/trips.csv?month={DAY[:7]}", headers=as_["jan"]).status_code == 403


def test_a_dispatcher_books_on_behalf_of_a_resident_and_a_cancelled_ride_re_matches(
    people: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, as_ = people
    first = client.post("/carpool/offers", json=offer(), headers=as_["jan"]).json()
    second = client.post("/carpool/offers", json=offer(first_name="Eve"), headers=as_["eve"]).json()
    asked = client.post(
        "/carpool/requests", json=request(passenger="marie"), headers=as_["disp"]
    ).json()
    assert asked["request"]["passenger"] == "marie"
    booked = client.post(
        "/carpool/bookings",
        json={"request_id": asked["request"]["request_id"], "offer_id": first["offer_id"],
              "date": DAY},
        headers=as_["disp"],
    )  # fmt: skip
    assert booked.status_code == 201 and booked.json()["booked_by"] == "disp"
    cancelled = client.post(f"/carpool/offers/{first['offer_id']}/{DAY}/cancel", headers=as_["jan"])
    assert cancelled.status_code == 200, cancelled.text
    (outcome,) = cancelled.json()["passengers"]
    assert outcome["booking"]["offer_id"] == second["offer_id"]
    on_cancelled = client.post(
        "/carpool/bookings",
        json={"request_id": asked["request"]["request_id"], "offer_id": first["offer_id"],
              "date": DAY},
        headers=as_["marie"],
    )  # fmt: skip
    assert on_cancelled.status_code == 409


def _id_routes(client: TestClient) -> set[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        if path.startswith("/carpool/") and "{" in path
        for method in item
    }


def test_another_resident_gets_404_on_every_id_route_and_nothing_changes(
    people: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, as_ = people
    made = client.post("/carpool/offers", json=offer(), headers=as_["jan"]).json()
    asked = client.post("/carpool/requests", json=request(), headers=as_["marie"]).json()
    request_id = asked["request"]["request_id"]
    booking = client.post(
        "/carpool/bookings",
        json={"request_id": request_id, "offer_id": made["offer_id"], "date": DAY},
        headers=as_["marie"],
    ).json()
    ids = {
        "offer_id": made["offer_id"],
        "request_id": request_id,
        "booking_id": booking["booking_id"],
        "day": DAY,
        "username": "marie",  # her personal data: export and erasure
    }
    bodies = {"/carpool/bookings/{booking_id}/answer": {"accept": False}}
    routes = _id_routes(client)
    assert len(routes) >= 8  # every id-taking route, enumerated from the schema
    for method, template in sorted(routes):
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)
        answer = client.request(method, path, json=bodies.get(template), headers=as_["eve"])
        assert answer.status_code == 404, (method, template, answer.text)
    # The intruder's own cross-request booking is refused the same way.
    stolen = client.post(
        "/carpool/bookings",
        json={"request_id": request_id, "offer_id": made["offer_id"], "date": DAY},
        headers=as_["eve"],
    )
    assert stolen.status_code == 404
    still = client.get(f"/carpool/bookings/{booking['booking_id']}", headers=as_["marie"])
    assert still.json()["status"] == "pending"
    ride = client.get(f"/carpool/offers/{made['offer_id']}", headers=as_["jan"])
    assert ride.status_code == 200


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (offer(seats=0), "seats"),
        (offer(seats=12), "seats"),
        (offer(depart_earliest="10:00", depart_latest="09:00"), "before it starts"),
        (offer(destination=[48.8566, 2.3522]), "off the road graph"),
        (offer(recurrence={"weekdays": [0], "until": "2020-01-01"}), "recurrence"),
    ],
)
def test_bad_offers_get_a_clear_4xx(
    people: tuple[TestClient, dict[str, dict[str, str]]], body: dict[str, Any], says: str
) -> None:
    client, as_ = people
    answer = client.post("/carpool/offers", json=body, headers=as_["jan"])
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]
    assert client.get("/carpool/me", headers=as_["jan"]).json()["offers"] == []


def test_bad_requests_get_a_clear_4xx(
    people: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, as_ = people
    no_window = request(depart_after=None, depart_before=None)
    answer = client.post("/carpool/requests", json=no_window, headers=as_["marie"])
    assert answer.status_code == 422 and "arrive_by" in answer.json()["detail"]
    for_someone = client.post(
        "/carpool/requests", json=request(passenger="jan"), headers=as_["marie"]
    )
    assert for_someone.status_code == 403
    import_ = client.post(
        "/carpool/places/import", json={"kind": "list", "text": "a,1,2"}, headers=as_["marie"]
    )
    assert import_.status_code == 403


def test_points_outside_the_territory_s_communes_get_a_422_saying_so(
    people: tuple[TestClient, dict[str, dict[str, str]]],
    shared_data: Path,
    redis_url: str,
    tenant: str,
) -> None:
    """The tenant's boundaries as alerts keeps them: three real communes of Nord (IGN), and one
    the intercommunality drew itself around our road graph's villages (its own GeoJSON)."""
    client, as_ = people
    nord = json.loads((shared_data / "communes" / "communes-59-nord.geojson").read_text())
    flandre = [f for f in nord["features"] if f["properties"]["code"] in {"59043", "59401"}]
    ring = [[4.60, 51.20], [4.90, 51.20], [4.90, 51.30], [4.60, 51.30], [4.60, 51.20]]
    drawn = {
        "type": "Feature",
        "properties": {"code": "59999", "nom": "Kempen"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    document = {"type": "FeatureCollection", "features": [*flandre, drawn]}
    with redis.Redis.from_url(redis_url, decode_responses=True) as connection:
        feed_records.save_boundaries(connection, tenant, json.dumps(document))

    antwerp = [51.2194, 4.4025]  # on no commune of the tenant
    away = client.post("/carpool/offers", json=offer(destination=antwerp), headers=as_["jan"])
    assert away.status_code == 422
    assert away.json()["detail"] == (
        "the destination (51.21940, 4.40250) is outside the territory: in none of its 3 communes"
    )
    asked = client.post("/carpool/requests", json=request(origin=antwerp), headers=as_["marie"])
    assert asked.status_code == 422 and "the origin (51.21940, 4.40250)" in asked.json()["detail"]
    assert client.get("/carpool/me", headers=as_["jan"]).json()["offers"] == []
    # Inside: offered and matched as ever.
    assert client.post("/carpool/offers", json=offer(), headers=as_["jan"]).status_code == 201
    found = client.post("/carpool/requests", json=request(), headers=as_["marie"])
    assert found.status_code == 201 and len(found.json()["matches"]) == 1


def test_booking_again_the_last_seat_one_holds_gives_back_that_booking(
    people: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    """A retried booking (a lost answer, a process killed after the seat was taken) is answered
    with the seat already held, not with "full" because that very seat is now taken."""
    client, as_ = people
    assert client.post("/carpool/offers", json=offer(seats=1), headers=as_["jan"]).is_success
    asked = client.post("/carpool/requests", json=request(), headers=as_["marie"]).json()
    (match,) = asked["matches"]
    body = {"request_id": asked["request"]["request_id"], "offer_id": match["offer_id"],
            "date": DAY}  # fmt: skip
    first = client.post("/carpool/bookings", json=body, headers=as_["marie"])
    assert first.status_code == 201, first.text
    again = client.post("/carpool/bookings", json=body, headers=as_["marie"])
    assert again.is_success, again.text
    assert again.json()["booking_id"] == first.json()["booking_id"]
    theirs = client.post("/carpool/requests", json=request(first_name="Eve"), headers=as_["eve"])
    assert theirs.json()["matches"] == []  # the one seat is Marie's, once
    mine = client.get("/carpool/me", headers=as_["marie"]).json()
    assert [b["booking_id"] for b in mine["bookings"]] == [first.json()["booking_id"]]
