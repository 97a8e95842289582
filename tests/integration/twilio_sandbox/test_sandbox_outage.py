"""The sandbox's outage switch, seen through the real twilio SDK: errors, hangs, lost answers,
and the end of the outage on its own."""

from __future__ import annotations

import time

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .conftest import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, Sandbox

pytestmark = pytest.mark.integration
PHONE = "+33612340001"


def test_error_mode_answers_500_and_sends_nothing_until_it_ends(
    sandbox: Sandbox, client: Client
) -> None:
    switched = sandbox.post("/sandbox/outage", mode="error", seconds="1")
    assert switched.json()["mode"] == "error"
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=PHONE, from_=OUR_NUMBER, body="pendant la panne")
    assert (refused.value.status, refused.value.code) == (500, 20500)
    assert sandbox.phone(PHONE)["messages"] == []
    time.sleep(1.1)
    sent = client.messages.create(to=PHONE, from_=OUR_NUMBER, body="après la panne")
    assert sent.status == "queued"
    assert [m["body"] for m in sandbox.phone(PHONE)["messages"]] == ["après la panne"]
    assert sandbox.get("/sandbox/outage").json() == {
        "mode": "off", "remaining_s": None, "hold_s": 15.0, "hits": 1,
    }  # fmt: skip


def _impatient(sandbox: Sandbox) -> Client:
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=TwilioHttpClient(timeout=0.5))
    client.api.base_url = sandbox.url
    return client


def test_timeout_mode_hangs_and_sends_nothing(sandbox: Sandbox) -> None:
    sandbox.post("/sandbox/outage", mode="timeout", hold_s="2")
    with pytest.raises(Exception, match=r"(?i)timed? ?out"):
        _impatient(sandbox).messages.create(to=PHONE, from_=OUR_NUMBER, body="perdu")
    time.sleep(2.2)
    assert sandbox.phone(PHONE)["messages"] == []
    sandbox.post("/sandbox/outage", mode="off")


def test_lost_answer_mode_sends_but_the_client_cannot_know(sandbox: Sandbox) -> None:
    sandbox.post("/sandbox/outage", mode="lost_answer", hold_s="2")
    with pytest.raises(Exception, match=r"(?i)timed? ?out"):
        _impatient(sandbox).messages.create(to=PHONE, from_=OUR_NUMBER, body="parti quand même")
    sandbox.post("/sandbox/outage", mode="off")
    assert [m["body"] for m in sandbox.phone(PHONE)["messages"]] == ["parti quand même"]


@pytest.mark.parametrize(
    "form",
    [{"mode": "flood"}, {"mode": "error", "seconds": "-1"}, {"mode": "error", "hold_s": "x"}],
)
def test_a_bad_switch_is_400_with_the_reason(sandbox: Sandbox, form: dict[str, str]) -> None:
    response = httpx.post(sandbox.url + "/sandbox/outage", data=form)
    assert response.status_code == 400 and response.json()["message"]
    assert sandbox.get("/sandbox/outage").json()["mode"] == "off"
