"""Our Twilio channels (synchronous and asyncio) behind a mairie's web proxy: proxy settings come
from the environment, read once when the channel is made (not on every message), and NO_PROXY is
honoured."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.alerts.channels.twilio import TwilioChannel, TwilioSettings
from services.alerts.channels.twilio_async import AsyncTwilioChannel
from tests.integration.twilio_sandbox.conftest import Receiver, Sandbox

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                   "all_proxy", "NO_PROXY", "no_proxy")  # fmt: skip


def _channel(sandbox: Sandbox) -> TwilioChannel:
    return TwilioChannel(
        TwilioSettings(
            account_sid=sandbox.config.account_sid,
            auth_token=sandbox.config.auth_token,
            sms_sender="MAIRIE",
            voice_caller="+33300000000",
            base_url=sandbox.url,
            timeout_s=5,
        )
    )


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_requests_go_through_the_proxy_named_in_the_environment(
    sandbox: Sandbox, receiver: Receiver, clean_environment: pytest.MonkeyPatch
) -> None:
    clean_environment.setenv("HTTP_PROXY", receiver.base_url)
    channel = _channel(sandbox)
    # Read when the channel was made: our own checks below go straight to the sandbox.
    clean_environment.delenv("HTTP_PROXY")

    answer = channel.send_sms("+33610000001", "Crue : montez à l'étage.", None)

    through_proxy = [hit for hit in receiver.hits if hit.path.startswith(sandbox.url)]
    assert [hit.path.rsplit("/", 1)[-1] for hit in through_proxy] == ["Messages.json"]
    # Our stand-in proxy answers an empty 200: no SID, and we cannot know whether it left.
    assert answer.sid is None and answer.maybe_sent
    assert sandbox.phone("+33610000001")["messages"] == []


def test_no_proxy_sends_straight_to_the_provider(
    sandbox: Sandbox, receiver: Receiver, clean_environment: pytest.MonkeyPatch
) -> None:
    clean_environment.setenv("HTTP_PROXY", receiver.base_url)
    clean_environment.setenv("NO_PROXY", "127.0.0.1,localhost")
    channel = _channel(sandbox)

    answer = channel.send_sms("+33610000001", "Crue : montez à l'étage.", None)

    assert answer.http_status == 201 and answer.sid is not None
    assert receiver.hits == []
    assert len(sandbox.phone("+33610000001")["messages"]) == 1


def test_a_provider_that_cannot_be_reached_is_known_not_to_have_sent(
    sandbox: Sandbox, clean_environment: pytest.MonkeyPatch
) -> None:
    channel = _channel(Sandbox("http://127.0.0.1:9", sandbox.config))  # nothing listens there

    answer = channel.send_sms("+33610000001", "Crue : montez à l'étage.", None)

    assert answer.http_status is None and not answer.maybe_sent
    assert "Connection" in answer.message


def _async_send(sandbox: Sandbox, environment: pytest.MonkeyPatch, *, forget: str) -> Any:
    """One SMS through the asyncio channel; `forget`: a variable dropped once it is made."""

    async def send() -> Any:
        channel = await AsyncTwilioChannel.open(
            TwilioSettings(
                account_sid=sandbox.config.account_sid,
                auth_token=sandbox.config.auth_token,
                sms_sender="MAIRIE",
                voice_caller="+33300000000",
                base_url=sandbox.url,
                timeout_s=5,
            )
        )
        environment.delenv(forget, raising=False)
        try:
            return await channel.send_sms("+33610000002", "Crue : montez à l'étage.", None)
        finally:
            await channel.close()

    return asyncio.run(send())


def test_the_asyncio_channel_goes_through_the_proxy_named_when_it_was_made(
    sandbox: Sandbox, receiver: Receiver, clean_environment: pytest.MonkeyPatch
) -> None:
    clean_environment.setenv("HTTP_PROXY", receiver.base_url)

    answer = _async_send(sandbox, clean_environment, forget="HTTP_PROXY")

    through_proxy = [hit for hit in receiver.hits if hit.path.startswith(sandbox.url)]
    assert [hit.path.rsplit("/", 1)[-1] for hit in through_proxy] == ["Messages.json"]
    assert answer.sid is None and answer.maybe_sent
    assert sandbox.phone("+33610000002")["messages"] == []


def test_the_asyncio_channel_honours_no_proxy(
    sandbox: Sandbox, receiver: Receiver, clean_environment: pytest.MonkeyPatch
) -> None:
    clean_environment.setenv("HTTP_PROXY", receiver.base_url)
    clean_environment.setenv("NO_PROXY", "127.0.0.1,localhost")

    answer = _async_send(sandbox, clean_environment, forget="NO_PROXY")
    clean_environment.delenv("HTTP_PROXY")  # our own checks below go straight to the sandbox

    assert answer.http_status == 201 and answer.sid is not None
    assert receiver.hits == []
    assert len(sandbox.phone("+33610000002")["messages"]) == 1
