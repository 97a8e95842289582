"""Every request the SDK sends to the sandbox is one Twilio's OpenAPI description allows: a known
path and method, form parameters spelled as the spec spells them, the required ones present. And
the sandbox answers with the fields the spec lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from twilio.rest import Client

from tests.twilio_openapi import Spec, load_spec, problems_with

from .conftest import OUR_NUMBER, Receiver, Sandbox

pytestmark = pytest.mark.integration

MOBILE = "+33612345678"


@pytest.fixture(scope="module")
def spec(shared_data: Path) -> Spec:
    try:
        return load_spec(shared_data)
    except FileNotFoundError as error:
        pytest.fail(str(error))


def exercise_the_sdk(client: Client, receiver: Receiver) -> None:
    """The SDK calls our code makes, with the options it uses."""
    message = client.messages.create(
        to=MOBILE,
        from_="MAIRIE",
        body="Vigilance rouge : restez chez vous.",
        status_callback=receiver.url("/status"),
    )
    client.messages.create(
        to=MOBILE,
        messaging_service_sid="MG" + "1" * 32,
        body="Fin de l'alerte",
        validity_period=600,
    )
    client.messages(message.sid).fetch()
    list(client.messages.list(to=MOBILE, page_size=1, limit=2))
    call = client.calls.create(
        to="+33145678901",
        from_=OUR_NUMBER,
        twiml='<Response><Say language="fr-FR">Alerte</Say></Response>',
        status_callback=receiver.url("/call-status"),
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        timeout=30,
    )
    client.calls.create(to="+33145678901", from_=OUR_NUMBER, url=receiver.url("/voice"))
    client.calls(call.sid).fetch()


def test_every_sdk_request_is_allowed_by_the_openapi_description(
    sandbox: Sandbox, client: Client, receiver: Receiver, spec: Spec
) -> None:
    exercise_the_sdk(client, receiver)
    recorded = sandbox.get("/sandbox/requests").json()
    assert len(recorded) >= 8  # two pages of the list included

    assert problems_with(recorded, spec) == []


def test_responses_carry_the_fields_the_spec_lists(
    sandbox: Sandbox, client: Client, spec: Spec
) -> None:
    message = client.messages.create(to=MOBILE, from_="MAIRIE", body="Test")
    call = client.calls.create(to=MOBILE, from_=OUR_NUMBER, twiml="<Response/>")
    schemas = spec.document["components"]["schemas"]
    account = sandbox.config.account_sid
    for path, schema in (
        (
            f"/2010-04-01/Accounts/{account}/Messages/{message.sid}.json",
            "api.v2010.account.message",
        ),
        (f"/2010-04-01/Accounts/{account}/Calls/{call.sid}.json", "api.v2010.account.call"),
    ):
        response = client.request("GET", sandbox.url + path)
        body = json.loads(response.text)
        assert set(body) == set(schemas[schema]["properties"]), path
        sid_pattern = schemas[schema]["properties"]["sid"]["pattern"]
        assert re.match(sid_pattern, body["sid"])
