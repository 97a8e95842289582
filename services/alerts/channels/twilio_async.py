"""The hot path to Twilio on the SDK's asyncio client (`AsyncTwilioHttpClient`, `create_async`).

Built inside a running event loop (aiohttp's session belongs to the loop that made it). The SDK's
async client ignores proxy settings and request timeouts, so we give it our own session:
`trust_env=True` makes aiohttp honour HTTPS_PROXY / NO_PROXY (and the CA bundle in SSL_CERT_FILE)
as the sync client does, and every request is bounded by `asyncio.timeout`. Answers become the same
`ProviderAnswer` the pure delivery policy classifies.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from services.alerts.channels.twilio import ProviderAnswer, TwilioSettings

_UNREADABLE = ProviderAnswer(
    http_status=None, message="the provider's answer carried no SID", maybe_sent=True
)


def _answer_from_error(error: BaseException) -> ProviderAnswer:
    if isinstance(error, TwilioRestException):
        return ProviderAnswer(
            http_status=error.status, error_code=error.code, message=str(error.msg)
        )
    # No TCP connection was made: the request surely never reached the provider.
    never_left = isinstance(error, aiohttp.ClientConnectorError)
    return ProviderAnswer(
        http_status=None, message=f"{type(error).__name__}: {error}", maybe_sent=not never_left
    )


class AsyncTwilioChannel:
    def __init__(self, settings: TwilioSettings) -> None:
        """Call inside a running event loop (see `open`)."""
        self.settings = settings
        self.http_client = AsyncTwilioHttpClient(pool_connections=False, timeout=settings.timeout_s)
        self.http_client.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=settings.max_connections),
            trust_env=True,
        )
        self.client = Client(
            settings.account_sid, settings.auth_token, http_client=self.http_client
        )
        if settings.base_url:
            self.client.api.base_url = settings.base_url.rstrip("/")

    @classmethod
    async def open(cls, settings: TwilioSettings) -> AsyncTwilioChannel:
        return cls(settings)

    async def close(self) -> None:
        await self.http_client.close()

    async def send_sms(self, to: str, body: str, status_callback: str | None) -> ProviderAnswer:
        kwargs: dict[str, Any] = {"to": to, "from_": self.settings.sms_sender, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                message = await self.client.messages.create_async(**kwargs)
        except (TwilioException, OSError, ValueError, aiohttp.ClientError, TimeoutError) as error:
            return _answer_from_error(error)
        if not message.sid:
            return _UNREADABLE
        return ProviderAnswer(
            http_status=201,
            sid=message.sid,
            status=str(message.status),
            segments=int(message.num_segments) if message.num_segments else None,
        )

    async def place_call(self, to: str, twiml: str, status_callback: str | None) -> ProviderAnswer:
        kwargs: dict[str, Any] = {"to": to, "from_": self.settings.voice_caller, "twiml": twiml}
        if status_callback:
            kwargs["status_callback"] = status_callback
            kwargs["status_callback_event"] = ["initiated", "ringing", "answered", "completed"]
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                call = await self.client.calls.create_async(**kwargs)
        except (TwilioException, OSError, ValueError, aiohttp.ClientError, TimeoutError) as error:
            return _answer_from_error(error)
        if not call.sid:
            return _UNREADABLE
        return ProviderAnswer(http_status=201, sid=call.sid, status=str(call.status))
