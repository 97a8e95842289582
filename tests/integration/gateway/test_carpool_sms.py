"""Carpool by SMS through the whole stack: a virtual phone of the Twilio sandbox texts our number,
the sandbox posts it signed to a real uvicorn gateway, alerts publishes it, carpool answers, and
the answer comes back through alerts and the official twilio SDK to the phone's inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.sandbox_process import SandboxProcess

from .alert_builders import eventually, landline, mobile
from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration

PLACES = "name,lat,lon\nZoersel,51.2667,4.7125\nPulle,51.2480,4.8420\n"
TOMORROW = (dt.datetime.now(ZoneInfo("Europe/Paris")).date() + dt.timedelta(days=1)).isoformat()


@pytest.fixture
def http(live_gateway: str, store: UserStore) -> Iterator[httpx.Client]:
    for name, role in (("jan", Role.RESIDENT), ("disp", Role.DISPATCHER)):
        create_user(store, UserCreate(username=name, password=PASSWORD, role=role))
    with httpx.Client(base_url=live_gateway, timeout=60) as client:
        yield client


def texts(sandbox: SandboxProcess, phone: str) -> list[str]:
    return [m["body"] for m in sandbox.phone(phone)["messages"]]


def send(sandbox: SandboxProcess, phone: str, body: str) -> str:
    """Text our number and wait for the answer; return it."""
    before = len(texts(sandbox, phone))
    sandbox.post(f"/sandbox/phones/{quote(phone)}/send", Body=body)
    got = eventually(lambda: texts(sandbox, phone)[before:], f"an answer to {body!r}", timeout_s=60)
    return got[-1]


def test_search_book_confirm_and_cancel_by_sms(
    http: httpx.Client, twilio_sandbox: SandboxProcess
) -> None:
    disp, jan = login(http, "disp"), login(http, "jan")  # type: ignore[arg-type]
    imported = http.post(
        "/carpool/places/import", json={"kind": "list", "text": PLACES}, headers=disp
    )
    assert imported.status_code == 200 and imported.json()["imported"] == 2
    ride = {
        "origin": [51.2667, 4.7125], "destination": [51.2480, 4.8420], "date": TOMORROW,
        "depart_earliest": "08:00", "depart_latest": "08:30", "seats": 2, "first_name": "Jan",
    }  # fmt: skip
    assert http.post("/carpool/offers", json=ride, headers=jan).status_code == 201

    phone, stranger = mobile(), mobile()
    options = send(twilio_sandbox, phone, "covoit zoersel PULLE demain 8h")
    assert "1) départ 8 h" in options and "Répondez" in options

    booked = send(twilio_sandbox, phone, "1")
    assert booked.startswith("Réservé") and "Jan" in booked

    # Someone else's number cannot cancel it; nothing changes.
    assert send(twilio_sandbox, stranger, "ANNULER").startswith("Aucune réservation")
    mine = http.get("/carpool/me", headers=jan).json()
    (booking,) = mine["bookings"]
    assert booking["status"] == "pending" and booking["passenger"] == f"tel:{phone}"

    before = len(texts(twilio_sandbox, phone))
    answered = http.post(
        f"/carpool/bookings/{booking['booking_id']}/answer", json={"accept": True}, headers=jan
    )
    assert answered.json()["status"] == "confirmed"
    confirmed = eventually(lambda: texts(twilio_sandbox, phone)[before:], "the confirmation SMS")
    assert confirmed[0].startswith("Covoiturage confirmé") and "Jan" in confirmed[0]

    assert "annulé" in send(twilio_sandbox, phone, "annuler")
    after = http.get(f"/carpool/bookings/{booking['booking_id']}", headers=jan).json()
    assert after["status"] == "cancelled"
    assert send(twilio_sandbox, phone, "bonjour").startswith("Pour trouver un covoiturage")


def test_web_carpoolers_who_give_a_number_get_the_booking_sms_once(
    http: httpx.Client, store: UserStore, twilio_sandbox: SandboxProcess
) -> None:
    create_user(store, UserCreate(username="marie", password=PASSWORD, role=Role.RESIDENT))
    jan, marie = login(http, "jan"), login(http, "marie")  # type: ignore[arg-type]
    for bad in ("0612345678", "+33 6 12 34 56 78", "+0612345678", "tel:+33612345678", "+3361"):
        refused = http.put("/carpool/me/profile", json={"phone": bad}, headers=jan)
        assert refused.status_code == 422 and "phone" in refused.text, bad
    fixed = http.put("/carpool/me/profile", json={"phone": landline()}, headers=jan)
    assert fixed.status_code == 422 and "not a mobile number" in fixed.json()["detail"]
    assert http.get("/carpool/me/profile", headers=jan).json()["phone"] is None
    jan_phone, marie_phone = mobile(), mobile()
    for who, phone in ((jan, jan_phone), (marie, marie_phone)):
        given = http.put("/carpool/me/profile", json={"phone": phone}, headers=who)
        assert given.status_code == 200 and given.json()["phone"] == phone

    ride = {
        "origin": [51.2667, 4.7125], "destination": [51.2480, 4.8420], "date": TOMORROW,
        "depart_earliest": "08:00", "depart_latest": "08:30", "seats": 2, "first_name": "Jan",
    }  # fmt: skip
    offer_id = http.post("/carpool/offers", json=ride, headers=jan).json()["offer_id"]
    asked = http.post(
        "/carpool/requests",
        json={
            "origin": [51.24495, 4.70175], "destination": [51.25205, 4.81548], "date": TOMORROW,
            "depart_after": "07:45", "depart_before": "08:45", "first_name": "Marie",
        },
        headers=marie,
    ).json()  # fmt: skip
    booking = http.post(
        "/carpool/bookings",
        json={"request_id": asked["request"]["request_id"], "offer_id": offer_id,
              "date": TOMORROW},
        headers=marie,
    ).json()  # fmt: skip
    (asked_sms,) = eventually(lambda: texts(twilio_sandbox, jan_phone), "the driver's request SMS")
    assert asked_sms.startswith("Marie demande une place") and "avant" in asked_sms

    path = f"/carpool/bookings/{booking['booking_id']}"
    assert http.post(f"{path}/answer", json={"accept": True}, headers=jan).status_code == 200
    assert http.post(f"{path}/answer", json={"accept": True}, headers=jan).status_code == 409
    (confirmed,) = eventually(lambda: texts(twilio_sandbox, marie_phone), "the passenger's SMS")
    assert confirmed.startswith("Covoiturage confirmé") and "avec Jan" in confirmed
    driver_side = eventually(lambda: texts(twilio_sandbox, jan_phone)[1:], "the driver's SMS")
    assert (
        driver_side[0].startswith("Covoiturage confirmé") and "Marie vous attend" in driver_side[0]
    )

    assert http.post(f"{path}/cancel", headers=marie).status_code == 200
    cancelled = eventually(lambda: texts(twilio_sandbox, jan_phone)[2:], "the cancellation SMS")
    assert cancelled[0].startswith("Marie a annulé")
    # Each notice left once, though the answer was sent twice.
    assert len(texts(twilio_sandbox, jan_phone)) == 3
    assert len(texts(twilio_sandbox, marie_phone)) == 1
    exported = http.get("/carpool/me/export", headers=marie).json()
    assert exported["phone"] == marie_phone
    stop = http.put("/carpool/me/profile", json={"phone": None}, headers=marie)
    assert stop.json()["phone"] is None
    # Erasure (RGPD) takes the number away with the rest.
    http.put("/carpool/me/profile", json={"phone": jan_phone}, headers=jan)
    assert http.delete("/carpool/me", headers=jan).status_code == 204
    assert http.get("/carpool/me/profile", headers=jan).json()["phone"] is None
