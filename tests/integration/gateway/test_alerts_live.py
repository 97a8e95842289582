"""Alerts through a real uvicorn gateway that the Twilio sandbox calls back: delivery receipts,
key presses and inbound SMS arrive signed over HTTP, and progress is followed by SSE.
"""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from contracts.users import Role
from tests.sandbox_process import AUTH_TOKEN, SandboxProcess

from .alert_builders import (
    VILLENEUVE,
    campaign_request,
    eventually,
    import_csv,
    landline,
    mobile,
    person,
    report_rows,
)
from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration
Event = tuple[str, dict[str, Any]]
FINAL_SMS = {"delivered", "undelivered", "failed", "opted_out", "cancelled"}


@pytest.fixture
def http(live_gateway: str, role_users: dict[Role, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_gateway, timeout=30) as client:
        yield client


@pytest.fixture
def mayor(http: httpx.Client, role_users: dict[Role, str]) -> dict[str, str]:
    return login(http, role_users[Role.MAYOR])  # type: ignore[arg-type]


def events_until_done(
    http: httpx.Client, path: str, headers: dict[str, str], limit: int = 500
) -> list[Event]:
    """Reads the SSE stream until its `done` event (httpx's read timeout bounds a stall)."""
    events: list[Event] = []
    name = ""
    with http.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.removeprefix("data:"))))
                if name in ("done", "error") or len(events) >= limit:
                    break
    assert events and events[-1][0] == "done", events[-3:]
    return events


def send(http: httpx.Client, headers: dict[str, str], request: dict[str, Any]) -> str:
    created = http.post("/campaigns", json=request, headers=headers)
    assert created.status_code == 201, created.text
    campaign_id: str = created.json()["campaign_id"]
    sent = http.post(f"/campaigns/{campaign_id}/send", headers=headers)
    assert sent.status_code == 202, sent.text
    assert sent.json()["status"] == "sending"
    return campaign_id


def report(http: httpx.Client, headers: dict[str, str], campaign_id: str) -> list[dict[str, str]]:
    response = http.get(f"/campaigns/{campaign_id}/report.csv", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return report_rows(response.text)


def texts(sandbox: SandboxProcess, number: str) -> list[str]:
    return [m["body"] for m in sandbox.phone(number)["messages"]]


def test_from_import_to_a_delivered_and_reported_alert_with_its_follow_ups(
    http: httpx.Client, mayor: dict[str, str], twilio_sandbox: SandboxProcess
) -> None:
    first, second, fixed, elsewhere = mobile(), mobile(), landline(), mobile()
    rows = [
        person("Martin", first),
        person("Bernard", second),
        person("Roux", fixed),
        person("Durand", elsewhere, VILLENEUVE),
    ]
    assert import_csv(http, mayor, rows)["imported"] == 3
    request = campaign_request()
    preview = http.post("/campaigns/preview", json=request, headers=mayor).json()
    assert preview["recipients"] == {"sms": 2, "voice": 1}

    campaign_id = send(http, mayor, request)
    events = events_until_done(http, f"/campaigns/{campaign_id}/events", mayor)

    final = events[-1][1]
    assert final["done"] and final["campaign_id"] == campaign_id
    assert final["progress"][0]["by_status"] == {"delivered": 2, "completed": 1}
    assert all(name == "progress" for name, _ in events[:-1])
    alert_rows = report(http, mayor, campaign_id)
    sends = [(r["contact_id"], r["phone"], r["channel"]) for r in alert_rows]
    assert len(sends) == len(set(sends)) == 3  # each recipient once
    assert {r["phone"]: r["status"] for r in alert_rows} == {
        first: "delivered",
        second: "delivered",
        fixed: "completed",
    }
    assert texts(twilio_sandbox, first) == [request["message"]]
    assert texts(twilio_sandbox, elsewhere) == []

    for kind, text in (("update", "Decrue amorcee."), ("end", "Fin de l'alerte crue.")):
        answer = http.post(f"/campaigns/{campaign_id}/{kind}", json={"text": text}, headers=mayor)
        assert answer.status_code == 202, answer.text
        events_until_done(http, f"/campaigns/{campaign_id}/events", mayor)

    rows_by_message: dict[str, set[tuple[str, str, str]]] = {}
    for row in report(http, mayor, campaign_id):
        rows_by_message.setdefault(row["message"], set()).add(
            (row["contact_id"], row["phone"], row["channel"])
        )
    assert rows_by_message["2"] == rows_by_message["3"] == set(sends)
    assert texts(twilio_sandbox, second) == [
        request["message"],
        "Decrue amorcee.",
        "Fin de l'alerte crue.",
    ]


def test_cancel_stops_what_has_not_left(
    http: httpx.Client, mayor: dict[str, str], twilio_sandbox: SandboxProcess
) -> None:
    numbers = [mobile() for _ in range(60)]
    import_csv(http, mayor, [person(f"Habitant{i}", n) for i, n in enumerate(numbers)])
    campaign_id = send(http, mayor, campaign_request(channels=["sms"]))

    cancelled = http.post(f"/campaigns/{campaign_id}/cancel", headers=mayor)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["campaign"]["status"] == "cancelled"

    def settled() -> list[dict[str, str]] | None:
        rows = report(http, mayor, campaign_id)
        return rows if all(r["status"] in FINAL_SMS for r in rows) else None

    rows = eventually(settled, "every send cancelled or delivered")
    assert len(rows) == 60
    assert sum(r["status"] == "cancelled" for r in rows) == cancelled.json()["cancelled_sends"]
    for row in rows:
        # What was cancelled never reached the phone; what had left was delivered, once.
        expected = 0 if row["status"] == "cancelled" else 1
        assert len(texts(twilio_sandbox, row["phone"])) == expected, row


def test_a_vulnerable_person_confirms_by_pressing_1(
    http: httpx.Client, mayor: dict[str, str], twilio_sandbox: SandboxProcess
) -> None:
    phone = landline()
    import_csv(http, mayor, [person("Leroy", phone, vulnerable="oui")])
    campaign_id = send(http, mayor, campaign_request(channels=["voice"]))

    def call_sid() -> str | None:
        rows = report(http, mayor, campaign_id)
        return rows[0]["provider_sid"] or None if rows else None

    sid = eventually(call_sid, "the call is placed")

    def press_1() -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = twilio_sandbox.post(f"/sandbox/calls/{sid}/digits", Digits="1")
            return answer
        except urllib.error.HTTPError as error:
            if error.code == 409:  # the call has not reached its <Gather> yet
                return None
            raise

    answer = eventually(press_1, "the call reaches its Gather")
    # The sandbox posted the key, signed, to the gateway, which answered the service's TwiML.
    assert answer["status_code"] == 200
    assert "Merci" in " ".join(answer["said"])
    confirmed = eventually(
        lambda: report(http, mayor, campaign_id)[0]["confirmed"] == "yes", "confirmed"
    )
    assert confirmed


def test_an_sms_stop_opts_out_and_start_opts_back_in(
    http: httpx.Client, mayor: dict[str, str], twilio_sandbox: SandboxProcess
) -> None:
    phone = mobile()
    import_csv(http, mayor, [person("Martin", phone)])

    def sms_recipients() -> int:
        preview = http.post("/campaigns/preview", json=campaign_request(), headers=mayor)
        return int(preview.json()["recipients"]["sms"])

    assert sms_recipients() == 1
    twilio_sandbox.post(f"/sandbox/phones/{quote(phone)}/send", Body="ARRÊT")
    eventually(lambda: sms_recipients() == 0, "the STOP forwarded to the gateway is applied")
    twilio_sandbox.post(f"/sandbox/phones/{quote(phone)}/send", Body="START")
    eventually(lambda: sms_recipients() == 1, "the START is applied")


def signed(url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(AUTH_TOKEN).compute_signature(url, params))


def test_forged_or_unsigned_webhooks_are_refused(live_gateway: str, http: httpx.Client) -> None:
    query = urlencode({"tenant": "t-x", "campaign": "cmp-x", "message": 1, "key": "k"})
    path = f"/webhooks/twilio/status?{query}"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}

    def post(signature: str | None, url_path: str = path) -> httpx.Response:
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return http.post(url_path, data=params, headers=headers)

    assert post(None).status_code == 400
    assert post("bm90IGEgc2lnbmF0dXJl").status_code == 403
    # Signed for another recipient, replayed against this one: the query is signed too.
    other = live_gateway + path.replace("cmp-x", "cmp-y")
    assert post(signed(other, params)).status_code == 403
    # A genuine callback about a recipient we do not know is acknowledged and changes nothing.
    assert post(signed(live_gateway + path, params)).status_code == 204
    as_json = http.post(path, json=params, headers={"X-Twilio-Signature": "x"})
    assert as_json.status_code == 415


def test_a_signed_gather_is_answered_in_twiml(live_gateway: str, http: httpx.Client) -> None:
    query = urlencode({"tenant": "t-x", "campaign": "cmp-x", "message": 1, "key": "k"})
    path = f"/webhooks/twilio/gather?{query}"
    params = {"CallSid": "CA1", "Digits": "2"}

    response = http.post(
        path, data=params, headers={"X-Twilio-Signature": signed(live_gateway + path, params)}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith("<Response>")


def test_behind_a_proxy_the_configured_public_url_is_the_signed_one(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOCAGE_PUBLIC_URL", "https://alertes.example.fr/")
    client = make_client(services_amqp_uri)
    path = "/webhooks/twilio/inbound?source=sandbox"
    params = {"From": "+33612345678", "Body": "Bonjour"}

    def post(url: str) -> int:
        headers = {"X-Twilio-Signature": signed(url, params)}
        status: int = client.post(path, data=params, headers=headers).status_code
        return status

    assert post("https://alertes.example.fr" + path) == 204
    assert post("http://testserver" + path) == 403


def ticket(http: httpx.Client, headers: dict[str, str], path: str) -> str:
    answer = http.post("/auth/stream-ticket", json={"path": path}, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["expires_in"] == 60
    value: str = answer.json()["ticket"]
    return value


def test_the_event_stream_opens_with_a_one_time_ticket_never_the_token_in_the_url(
    http: httpx.Client, mayor: dict[str, str], role_users: dict[Role, str]
) -> None:
    campaign_id = http.post("/campaigns", json=campaign_request(), headers=mayor).json()[
        "campaign_id"
    ]
    token = mayor["Authorization"].removeprefix("Bearer ")
    path = f"/campaigns/{campaign_id}/events"

    assert http.get(path).status_code == 401
    assert http.get(f"{path}?access_token={token}").status_code == 401  # no longer accepted
    assert http.get(f"{path}?ticket=not-a-ticket").status_code == 401
    elsewhere = ticket(http, mayor, "/campaigns/cmp-other/events")
    assert http.get(f"{path}?ticket={elsewhere}").status_code == 401
    assert http.get(f"/campaigns?ticket={ticket(http, mayor, path)}").status_code == 401
    driver = login(http, role_users[Role.DRIVER])  # type: ignore[arg-type]
    assert http.get(f"{path}?ticket={ticket(http, driver, path)}").status_code == 403
    missing = "/campaigns/cmp-nope/events"
    assert http.get(f"{missing}?ticket={ticket(http, mayor, missing)}").status_code == 404

    # A draft is never done: read its first event, then hang up (the server notices).
    once = ticket(http, mayor, path)
    with http.stream("GET", f"{path}?ticket={once}") as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(line for line in lines if line.startswith("event:")) == "event: progress"
        data = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
    assert data["status"] == "draft" and data["done"] is False
    used = http.get(f"{path}?ticket={once}")
    assert used.status_code == 401
    assert "ask POST /auth/stream-ticket for a new one" in used.json()["detail"]

    # Logging out (or any revocation) voids the tickets not yet used.
    pending = ticket(http, mayor, path)
    http.post("/auth/password", json={"current_password": PASSWORD,
              "new_password": "another long password"}, headers=mayor)  # fmt: skip
    assert http.get(f"{path}?ticket={pending}").status_code == 401
