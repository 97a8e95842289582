"""Carpool offers, requests and bookings in the ownership matrix.

A resident reaches only their own offers, requests and bookings (a booking is its passenger's and
its ride's driver's), and only their own personal data by name (export, erasure); another
resident gets 404 on each, as for what does not exist. The rides
run on the Kempen graph, three days ahead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.users import Role
from tests.integration.gateway.ownership import Built, OwnedBy, World, register, user

DRIVER = user("resident-driver", Role.RESIDENT)
PASSENGER = user("resident-passenger", Role.RESIDENT)
INTRUDER = user("resident-intruder", Role.RESIDENT)
DAY = (dt.date.today() + dt.timedelta(days=3)).isoformat()
OFFER = {
    "origin": [51.2667, 4.7125], "destination": [51.2480, 4.8420],
    "origin_label": "Zoersel", "destination_label": "Pulle", "origin_commune": "59270",
    "date": DAY, "depart_earliest": "08:00", "depart_latest": "08:30", "seats": 2,
    "first_name": "Jan",
}  # fmt: skip
REQUEST = {
    "origin": [51.24495, 4.70175], "destination": [51.25205, 4.81548], "date": DAY,
    "depart_after": "07:45", "depart_before": "08:45", "first_name": "Marie",
}  # fmt: skip


def _post(world: World, path: str, body: dict[str, Any], username: str) -> dict[str, Any]:
    answer = world.client.post(path, json=body, headers=world.as_user(username))
    assert answer.status_code == 201, f"{path}: {answer.status_code} {answer.text}"
    result: dict[str, Any] = answer.json()
    return result


def _view(world: World, path: str, username: str) -> Any:
    return world.client.get(path, headers=world.as_user(username)).json()


def _ride(world: World) -> Built:
    offer_id = _post(world, "/carpool/offers", OFFER, DRIVER)["offer_id"]
    return Built(
        params={"offer_id": offer_id, "day": DAY},
        snapshot=lambda: _view(world, f"/carpool/offers/{offer_id}", DRIVER),
    )


def _request(world: World) -> Built:
    request_id = _post(world, "/carpool/requests", REQUEST, PASSENGER)["request"]["request_id"]
    return Built(
        params={"request_id": request_id},
        snapshot=lambda: _view(world, f"/carpool/requests/{request_id}", PASSENGER),
    )


def _booking(world: World) -> Built:
    offer_id = _post(world, "/carpool/offers", OFFER, DRIVER)["offer_id"]
    request_id = _post(world, "/carpool/requests", REQUEST, PASSENGER)["request"]["request_id"]
    booking = {"request_id": request_id, "offer_id": offer_id, "date": DAY}
    booking_id = _post(world, "/carpool/bookings", booking, PASSENGER)["booking_id"]
    return Built(
        params={"booking_id": booking_id},
        snapshot=lambda: _view(world, f"/carpool/bookings/{booking_id}", PASSENGER),
        body={"accept": True},
    )


register("GET", "/carpool/offers/{offer_id}", OwnedBy(DRIVER, INTRUDER, _ride))
for action in ("cancel", "complete"):
    register(
        "POST", f"/carpool/offers/{{offer_id}}/{{day}}/{action}", OwnedBy(DRIVER, INTRUDER, _ride)
    )
register("GET", "/carpool/requests/{request_id}", OwnedBy(PASSENGER, INTRUDER, _request))
register("GET", "/carpool/requests/{request_id}/matches", OwnedBy(PASSENGER, INTRUDER, _request))
register("GET", "/carpool/bookings/{booking_id}", OwnedBy(PASSENGER, INTRUDER, _booking))
for action in ("answer", "cancel"):
    register(
        "POST", f"/carpool/bookings/{{booking_id}}/{action}", OwnedBy(PASSENGER, INTRUDER, _booking)
    )


def _person(world: World) -> Built:
    _post(world, "/carpool/requests", REQUEST, PASSENGER)
    return Built(
        params={"username": PASSENGER},
        snapshot=lambda: _view(world, "/carpool/me/export", PASSENGER),
    )


register("GET", "/carpool/people/{username}/export", OwnedBy(PASSENGER, INTRUDER, _person))
register("DELETE", "/carpool/people/{username}", OwnedBy(PASSENGER, INTRUDER, _person))
