"""Welfare cases over HTTP on the running services: the dispatcher sees the open case, takes
it, records the outcome and closes it; the mayor of the senior's commune reads it with its
history; another commune's mayor gets 404, as for a case that does not exist (issue 11)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pika
import pytest
from fastapi.testclient import TestClient

from contracts.deliveries import DeliveryFailed
from contracts.meals_events import EmergencyContact
from contracts.users import Role, UserCreate
from services.common.events import make_message
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.sandbox_process import SandboxProcess

from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration

CASE = "welfare:d-77:2026-11-23"


def _publish_failed_delivery(amqp_uri: str, tenant: str, phone: str = "+33612340077") -> None:
    """What routing publishes when a driver marks the door *absent*."""
    event = DeliveryFailed(
        delivery_id="d-77", commune="59350", recipient_name="M. Vandamme", reason="no_answer",
        attempted_at=datetime.fromisoformat("2026-11-23T11:05:00+01:00"),
        reported_by="driver-1", senior_id="s-77",
        emergency_contacts=(EmergencyContact(name="Julie Vandamme", phone=phone),),
    )  # fmt: skip
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        connection.channel().basic_publish(
            exchange="routing.events",
            routing_key="delivery_failed",
            body=json.dumps(make_message(event, tenant=tenant)),
            properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    finally:
        connection.close()


def test_dispatcher_acts_the_mayor_reads_another_mayor_gets_404(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    role_users: dict[Role, str],
    store: UserStore,
    tenant: str,
) -> None:
    create_user(store, UserCreate(username="maire-villeneuve", password=PASSWORD,
                                  role=Role.MAYOR, communes=("59009",)))  # fmt: skip
    client = make_client(services_amqp_uri)
    dispatcher = login(client, role_users[Role.DISPATCHER])
    mayor = login(client, role_users[Role.MAYOR])  # Lille, 59350: the senior's commune
    other_mayor = login(client, "maire-villeneuve")
    family = login(client, role_users[Role.FAMILY])

    _publish_failed_delivery(services_amqp_uri, tenant)
    deadline = time.monotonic() + 30
    while not (listed := client.get("/welfare-cases", headers=dispatcher).json()):
        assert time.monotonic() < deadline, "the welfare case did not open"
        time.sleep(0.2)

    assert [c["case_id"] for c in listed] == [CASE]
    assert listed[0]["history"][1]["detail"].startswith("Julie Vandamme")
    assert client.get("/welfare-cases", headers=other_mayor).json() == []
    hidden = client.get(f"/welfare-cases/{CASE}", headers=other_mayor)
    absent = client.get("/welfare-cases/welfare:d-00:2026-11-23", headers=dispatcher)
    assert hidden.status_code == absent.status_code == 404
    assert client.get("/welfare-cases", headers=family).status_code == 403
    assert client.post(f"/welfare-cases/{CASE}/take", headers=mayor).status_code == 403

    taken = client.post(f"/welfare-cases/{CASE}/take", headers=dispatcher)
    bad = client.post(f"/welfare-cases/{CASE}/outcome", headers=dispatcher,
                      json={"outcome": "parti en vacances"})  # fmt: skip
    absence = {"outcome": "planned_absence", "note": "chez sa fille"}
    recorded = client.post(f"/welfare-cases/{CASE}/outcome", headers=dispatcher, json=absence)
    closed = client.post(f"/welfare-cases/{CASE}/close", headers=dispatcher)
    read_by_mayor = client.get(f"/welfare-cases/{CASE}", headers=mayor)

    assert taken.status_code == 200 and taken.json()["taken_by"] == role_users[Role.DISPATCHER]
    assert bad.status_code == 422
    assert recorded.json()["outcome"] == "planned_absence"
    assert closed.json()["status"] == "closed"
    assert client.get("/welfare-cases", headers=dispatcher).json() == []
    assert read_by_mayor.status_code == 200
    kinds = [step["kind"] for step in read_by_mayor.json()["history"]]
    assert kinds == ["opened", "contact_called", "contact_texted", "acknowledged",
                     "outcome_recorded", "closed"]  # fmt: skip
    assert read_by_mayor.json()["history"][-2]["detail"] == "absent prévu : chez sa fille"


def test_the_dispatcher_watches_live_as_the_contact_presses_1_then_texts_the_outcome(
    live_gateway: str,
    services_amqp_uri: str,
    twilio_sandbox: SandboxProcess,
    role_users: dict[Role, str],
    tenant: str,
) -> None:
    """Keypress and SMS reply travel the real way: sandbox → gateway webhook → alerts."""
    julie = "+33612340078"
    with httpx.Client(base_url=live_gateway, timeout=30) as http:
        login_body = {"username": role_users[Role.DISPATCHER], "password": PASSWORD}
        answer = http.post("/auth/login", json=login_body)
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        seen: list[list[dict[str, Any]]] = []
        steps: dict[str, dict[str, Any]] = {}
        with http.stream("GET", "/welfare-cases/live", headers=headers) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            deadline = time.monotonic() + 30
            for line in stream.iter_lines():
                if not line.startswith("data: "):
                    continue
                seen.append(json.loads(line.removeprefix("data: ")))
                assert time.monotonic() < deadline, f"not there after 30 s: {seen}"
                case = seen[-1][0] if seen[-1] else None
                if len(seen) == 1:
                    _publish_failed_delivery(services_amqp_uri, tenant, julie)
                elif case and case["status"] == "calling" and not steps.get("pressed"):
                    call = wait_for_call(twilio_sandbox, julie)
                    twilio_sandbox.post(f"/sandbox/calls/{call['sid']}/digits", Digits="1")
                    steps["pressed"] = case
                elif case and case["status"] == "taken" and not steps.get("texted"):
                    twilio_sandbox.post(f"/sandbox/phones/{julie}/send", Body="4")
                    steps["texted"] = case
                elif case and case["outcome"]:
                    steps["outcome"] = case
                    break

    assert seen[0] == []  # nothing open when the dispatcher looked
    assert steps["pressed"]["current_contact"] == 0
    assert steps["texted"]["taken_by"] == "Julie Vandamme (touche 1)"
    final = steps["outcome"]
    assert final["outcome"] == "found_well"
    assert final["history"][-1]["actor"] == "Julie Vandamme"


def wait_for_call(sandbox: SandboxProcess, phone: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while not (calls := sandbox.phone(phone)["calls"]):
        assert time.monotonic() < deadline, f"no call to {phone}"
        time.sleep(0.2)
    return dict(calls[0])
