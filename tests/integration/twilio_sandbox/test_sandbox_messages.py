"""SMS through the real twilio SDK against the sandbox: statuses, signed callbacks, error codes."""

from __future__ import annotations

from datetime import datetime

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    LISTED_LANDLINE,
    OUR_NUMBER,
    UNDELIVERED,
    Receiver,
    Sandbox,
    run_sandbox,
    sandbox_config,
    wait_for,
)

pytestmark = pytest.mark.integration

MOBILE = "+33612345678"
PARIS_LANDLINE = "+33145678901"


def callbacks_for(receiver: Receiver, sid: str, count: int) -> list[dict[str, str]]:
    def arrived() -> list[dict[str, str]] | None:
        hits = [h for h in receiver.at("/status") if h.params.get("MessageSid") == sid]
        return [h.params for h in hits] if len(hits) >= count else None

    callbacks: list[dict[str, str]] = wait_for(f"{count} callbacks for {sid}", arrived)
    return callbacks


def test_sms_is_queued_then_sent_then_delivered_with_signed_callbacks(
    client: Client, receiver: Receiver
) -> None:
    message = client.messages.create(
        to=MOBILE,
        from_="MAIRIE",
        body="Vigilance orange crues : évitez les berges.",
        status_callback=receiver.url("/status"),
    )
    assert message.status == "queued"
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert isinstance(message.date_created, datetime)  # the SDK parsed an RFC 2822 date
    assert message.num_segments == "1"

    callbacks = callbacks_for(receiver, message.sid, 3)
    assert [c["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    validator = RequestValidator(AUTH_TOKEN)
    for hit in receiver.at("/status"):
        signature = hit.headers["X-Twilio-Signature"]
        assert validator.validate(hit.url, hit.params, signature)
        assert not RequestValidator("not-the-token").validate(hit.url, hit.params, signature)
    assert callbacks[-1]["To"] == MOBILE and callbacks[-1]["AccountSid"] == ACCOUNT_SID

    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "delivered"
    assert fetched.error_code is None
    assert fetched.date_sent is not None and fetched.price is not None


def test_chosen_number_ends_undelivered_with_30003(client: Client, receiver: Receiver) -> None:
    message = client.messages.create(
        to=UNDELIVERED, from_="MAIRIE", body="Test", status_callback=receiver.url("/status")
    )
    callbacks = callbacks_for(receiver, message.sid, 3)
    assert [c["MessageStatus"] for c in callbacks] == ["queued", "sent", "undelivered"]
    assert callbacks[-1]["ErrorCode"] == "30003"
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def refusal(client: Client, to: str, body: str = "Alerte") -> TwilioRestException:
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=to, from_="MAIRIE", body=body)
    return raised.value


@pytest.mark.parametrize("bad", ["+331234", "0612345678", "+33712345678", "+33 6 12 34 56 78"])
def test_invalid_number_is_refused_with_21211(client: Client, bad: str) -> None:
    error = refusal(client, bad)
    assert (error.status, error.code) == (400, 21211)
    assert bad in error.msg


@pytest.mark.parametrize("landline", [PARIS_LANDLINE, "+33299123456", LISTED_LANDLINE])
def test_landline_is_refused_for_sms_with_21614(client: Client, landline: str) -> None:
    error = refusal(client, landline)
    assert (error.status, error.code) == (400, 21614)


@pytest.mark.parametrize("keyword", ["STOP", "arrêt", " Arret ", "STOPALL", "unsubscribe"])
def test_inbound_stop_refuses_sends_with_21610_until_start(
    sandbox: Sandbox, client: Client, receiver: Receiver, keyword: str
) -> None:
    client.messages.create(to=MOBILE, from_="MAIRIE", body="Avant")
    sandbox.post(f"/sandbox/phones/{MOBILE}/send", Body=keyword).raise_for_status()
    assert sandbox.phone(MOBILE)["opted_out"]

    error = refusal(client, MOBILE)
    assert (error.status, error.code) == (400, 21610)

    forwarded = wait_for("the inbound STOP", lambda: receiver.at("/inbound"))[0]
    assert forwarded.params["OptOutType"] == "STOP"
    assert forwarded.params["From"] == MOBILE and forwarded.params["To"] == OUR_NUMBER
    assert forwarded.params["Body"] == keyword
    assert RequestValidator(AUTH_TOKEN).validate(
        forwarded.url, forwarded.params, forwarded.headers["X-Twilio-Signature"]
    )

    sandbox.post(f"/sandbox/phones/{MOBILE}/send", Body="START").raise_for_status()
    assert client.messages.create(to=MOBILE, from_="MAIRIE", body="Après").status == "queued"


def test_plain_inbound_message_is_forwarded_without_opt_out(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    sandbox.post(f"/sandbox/phones/{MOBILE}/send", Body="Je ne peux pas partir seule").json()
    forwarded = wait_for("the inbound message", lambda: receiver.at("/inbound"))[0]
    assert "OptOutType" not in forwarded.params
    assert forwarded.params["MessageSid"].startswith("SM")
    assert not sandbox.phone(MOBILE)["opted_out"]


def test_wrong_auth_token_is_refused_with_20003(sandbox: Sandbox) -> None:
    error = refusal(sandbox.client(auth_token="wrong-token"), MOBILE)
    assert (error.status, error.code) == (401, 20003)


def test_sending_over_the_rate_is_refused_with_20429(receiver: Receiver) -> None:
    limited, stop = run_sandbox(sandbox_config(receiver, rate_limit=1.0))
    try:
        client = limited.client()
        outcomes = []
        for _ in range(20):
            try:
                client.messages.create(to=MOBILE, from_="MAIRIE", body="Alerte")
                outcomes.append(201)
            except TwilioRestException as error:
                outcomes.append(error.code)
        assert outcomes[0] == 201
        assert 20429 in outcomes
        assert set(outcomes) <= {201, 20429}
    finally:
        stop()


GSM_FRENCH = "Crue de la Sèvre : évacuation à Mauléon, où l'école est fermée. É"


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        (GSM_FRENCH, "1"),
        ("é" * 160, "1"),  # é is in GSM-7's basic set
        ("é" * 161, "2"),
        ("a" * 306, "2"),
        ("a" * 307, "3"),
        ("{" * 80, "1"),  # extension characters count twice
        ("€" * 81, "2"),
        ("Fenêtre" + "a" * 63, "1"),  # ê forces UCS-2: 70 characters fit one SMS
        ("Fenêtre" + "a" * 64, "2"),
        ("ç" * 134, "2"),
        ("ç" * 135, "3"),
        ("L’alerte est levée", "1"),  # a typographic apostrophe forces UCS-2 too
    ],
)
def test_num_segments_follow_gsm7_and_ucs2(client: Client, body: str, segments: str) -> None:
    message = client.messages.create(to=MOBILE, from_="MAIRIE", body=body)
    assert message.num_segments == segments


def test_messages_list_pages_newest_first(client: Client) -> None:
    for i in range(7):
        client.messages.create(to=MOBILE, from_="MAIRIE", body=f"n{i}")
    client.messages.create(to="+33698765432", from_="MAIRIE", body="other")
    listed = client.messages.list(to=MOBILE, page_size=3)
    assert [m.body for m in listed] == [f"n{i}" for i in reversed(range(7))]
    first_page = client.messages.page(page_size=3)
    assert len(list(first_page)) == 3 and first_page.next_page_url is not None


def test_inbox_page_and_phone_view_show_what_a_phone_received(
    sandbox: Sandbox, client: Client
) -> None:
    sent = client.messages.create(to=MOBILE, from_="MAIRIE", body="Fermez vos volets <ce soir>")
    view = wait_for(
        "delivery",
        lambda: (v := sandbox.phone(MOBILE))["messages"][0]["status"] == "delivered" and v,
    )
    assert view["messages"][0]["sid"] == sent.sid
    page = sandbox.get("/sandbox/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert MOBILE in page.text
    assert "Fermez vos volets &lt;ce soir&gt;" in page.text
    assert "delivered" in page.text
    assert "://" not in page.text.split("<body>")[0]  # no external stylesheet or script
