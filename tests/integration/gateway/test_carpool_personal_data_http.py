"""A carpooler's personal data over HTTP on the real services (issue 9): a resident exports and
erases their own; a dispatcher does it on someone's behalf; another resident gets 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD, login
from tests.integration.gateway.test_carpool_http import DAY, offer, request

pytestmark = pytest.mark.integration

People = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture
def people(
    make_client: Callable[..., TestClient], services_amqp_uri: str, store: UserStore
) -> People:
    for name, role in (("jan", Role.RESIDENT), ("marie", Role.RESIDENT), ("eve", Role.RESIDENT),
                       ("disp", Role.DISPATCHER)):  # fmt: skip
        create_user(store, UserCreate(username=name, password=PASSWORD, role=role))
    client = make_client(services_amqp_uri)
    return client, {name: login(client, name) for name in ("jan", "marie", "eve", "disp")}


def test_a_dispatcher_erases_a_passenger_for_her_and_another_resident_cannot(
    people: People,
) -> None:
    client, as_ = people
    ride = client.post("/carpool/offers", json=offer(), headers=as_["jan"]).json()
    asked = client.post("/carpool/requests", json=request(), headers=as_["marie"]).json()
    booking = {"request_id": asked["request"]["request_id"], "offer_id": ride["offer_id"],
               "date": DAY}  # fmt: skip
    booked = client.post("/carpool/bookings", json=booking, headers=as_["marie"])
    assert booked.status_code == 201, booked.text

    mine = client.get("/carpool/me/export", headers=as_["marie"])
    assert mine.status_code == 200, mine.text
    assert [b["driver"] for b in mine.json()["bookings"]] == ["jan"]
    assert client.get("/carpool/people/marie/export", headers=as_["eve"]).status_code == 404
    assert client.delete("/carpool/people/marie", headers=as_["eve"]).status_code == 404
    on_her_behalf = client.get("/carpool/people/marie/export", headers=as_["disp"])
    assert on_her_behalf.json() == mine.json()  # Eve changed nothing

    assert client.delete("/carpool/people/marie", headers=as_["disp"]).status_code == 204
    assert client.get("/carpool/people/marie/export", headers=as_["disp"]).status_code == 404
    empty = client.get("/carpool/me/export", headers=as_["marie"]).json()
    assert empty["requests"] == empty["bookings"] == []
    # Jan's seat is free again and the booking naming Marie is gone from his side too.
    assert client.get("/carpool/me", headers=as_["jan"]).json()["bookings"] == []
    again = client.post("/carpool/requests", json=request(), headers=as_["eve"]).json()
    assert [m["offer_id"] for m in again["matches"]] == [ride["offer_id"]]


def test_a_resident_erases_herself_and_a_malformed_name_is_refused(people: People) -> None:
    client, as_ = people
    client.post("/carpool/offers", json=offer(), headers=as_["jan"])
    assert client.delete("/carpool/me", headers=as_["jan"]).status_code == 204
    assert client.get("/carpool/me", headers=as_["jan"]).json()["offers"] == []
    assert client.delete("/carpool/me", headers=as_["jan"]).status_code == 204  # nothing left
    bad = client.get("/carpool/people/jan%20doe/export", headers=as_["disp"])
    assert bad.status_code == 422 and "username" in bad.text
