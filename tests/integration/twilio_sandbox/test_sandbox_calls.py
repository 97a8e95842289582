"""Voice calls through the real twilio SDK: progress callbacks, TwiML <Say>, <Gather> and a
simulated keypress posted, signed, to the Gather's action URL."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from .conftest import AUTH_TOKEN, BUSY, OUR_NUMBER, Receiver, Sandbox, wait_for

pytestmark = pytest.mark.integration

LANDLINE = "+33145678901"
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def alert_twiml(action: str) -> str:
    return (
        "<Response>"
        '<Say language="fr-FR">Alerte inondation sur votre commune.</Say>'
        f'<Gather numDigits="1" action="{action}" method="POST">'
        '<Say language="fr-FR">Appuyez sur 1 pour confirmer.</Say>'
        "</Gather>"
        "</Response>"
    )


def statuses(receiver: Receiver, sid: str, until: str) -> list[str]:
    def arrived() -> list[str] | None:
        seen = [h.params["CallStatus"] for h in receiver.at("/call-status")]
        return seen if seen and seen[-1] == until else None

    seen: list[str] = wait_for(f"call {sid} to reach {until}", arrived)
    return seen


def test_call_says_its_twiml_and_posts_the_keypress_to_the_gather_action(
    sandbox: Sandbox, client: Client, receiver: Receiver
) -> None:
    receiver.replies["/gather"] = (200, "<Response><Say>Merci, bonne soirée.</Say></Response>")
    call = client.calls.create(
        to=LANDLINE,
        from_=OUR_NUMBER,
        twiml=alert_twiml(receiver.url("/gather")),
        status_callback=receiver.url("/call-status"),
        status_callback_event=ALL_EVENTS,
    )
    assert call.status == "queued"
    assert call.sid.startswith("CA") and len(call.sid) == 34

    pressed = sandbox.post(f"/sandbox/calls/{call.sid}/digits", Digits="1")
    assert pressed.status_code == 200, pressed.text
    assert pressed.json()["status_code"] == 200

    gather = receiver.at("/gather")[0]
    assert gather.params["Digits"] == "1"
    assert gather.params["CallSid"] == call.sid and gather.params["To"] == LANDLINE
    validator = RequestValidator(AUTH_TOKEN)
    assert validator.validate(gather.url, gather.params, gather.headers["X-Twilio-Signature"])

    seen = statuses(receiver, call.sid, "completed")
    assert seen == ["initiated", "ringing", "in-progress", "completed"]
    for hit in receiver.at("/call-status"):
        assert validator.validate(hit.url, hit.params, hit.headers["X-Twilio-Signature"])

    fetched = client.calls(call.sid).fetch()
    assert fetched.status == "completed"
    received = sandbox.phone(LANDLINE)["calls"][0]
    assert received["said"] == [
        "Alerte inondation sur votre commune.",
        "Appuyez sur 1 pour confirmer.",
        "Merci, bonne soirée.",
    ]
    assert received["digits"] == ["1"]


def test_call_fetches_its_twiml_from_url_signed(
    sandbox: Sandbox, client: Client, receiver: Receiver
) -> None:
    receiver.replies["/voice"] = (200, "<Response><Say>Bonjour depuis la mairie.</Say></Response>")
    call = client.calls.create(
        to=LANDLINE,
        from_=OUR_NUMBER,
        url=receiver.url("/voice"),
        status_callback=receiver.url("/call-status"),
    )
    assert statuses(receiver, call.sid, "completed") == ["completed"]  # the default event only
    fetch = receiver.at("/voice")[0]
    assert fetch.params["CallStatus"] == "in-progress"
    assert RequestValidator(AUTH_TOKEN).validate(
        fetch.url, fetch.params, fetch.headers["X-Twilio-Signature"]
    )
    assert sandbox.phone(LANDLINE)["calls"][0]["said"] == ["Bonjour depuis la mairie."]


def test_busy_number_ends_busy(client: Client, receiver: Receiver) -> None:
    call = client.calls.create(
        to=BUSY,
        from_=OUR_NUMBER,
        twiml="<Response><Say>Allô</Say></Response>",
        status_callback=receiver.url("/call-status"),
        status_callback_event=ALL_EVENTS,
    )
    assert statuses(receiver, call.sid, "busy") == ["initiated", "ringing", "busy"]
    assert client.calls(call.sid).fetch().status == "busy"


def test_call_to_invalid_number_is_refused_with_21211(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to="+3312", from_=OUR_NUMBER, twiml="<Response/>")
    assert raised.value.code == 21211


def test_malformed_twiml_is_a_clear_400(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=LANDLINE, from_=OUR_NUMBER, twiml="<Response><Say>oops</Response>")
    assert raised.value.status == 400 and "TwiML" in raised.value.msg


def test_keypress_on_a_finished_call_is_refused(sandbox: Sandbox, client: Client) -> None:
    call = client.calls.create(
        to=LANDLINE, from_=OUR_NUMBER, twiml="<Response><Say>Fin</Say></Response>"
    )
    wait_for("the call to end", lambda: client.calls(call.sid).fetch().status == "completed")
    assert sandbox.post(f"/sandbox/calls/{call.sid}/digits", Digits="1").status_code == 409
    assert sandbox.post("/sandbox/calls/CA" + "0" * 32 + "/digits", Digits="1").status_code == 404
