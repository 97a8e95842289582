"""The hot path to Twilio on the SDK's asyncio client (`AsyncTwilioHttpClient`, `create_async`).

Built inside a running event loop (aiohttp's session belongs to the loop that made it). The SDK's
async client ignores proxy settings and request timeouts, so we give it our own session. Its
proxy is the one the environment names for the API's URL (HTTPS_PROXY / HTTP_PROXY, NO_PROXY),
read once when the channel is made: aiohttp's `trust_env` would look it up again on every request,
in a thread (a fifth of the sender's CPU at 100,000 messages). The CA bundle in SSL_CERT_FILE is
honoured by Python's default TLS context. Every request is bounded by `asyncio.timeout`. The SDK
formats its request and response log lines even when nobody reads them: they are skipped unless
its logger shows INFO. Answers become the same `ProviderAnswer` the pure delivery policy
classifies.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from yarl import URL

from services.alerts.channels.twilio import TWILIO_API, ProviderAnswer, TwilioSettings

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


class _QuietHttpClient(AsyncTwilioHttpClient):
    """The SDK's client without its log lines when its logger would drop them anyway."""

    def log_request(self, kwargs: dict[str, Any]) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            super().log_request(kwargs)

    def log_response(self, status_code: int, response: Response) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            super().log_response(status_code, response)


def environment_proxy(url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy the environment names for `url` (None when NO_PROXY exempts it or none is set)."""
    with suppress(LookupError):
        return get_env_proxy_for_url(URL(url))
    return None, None


class AsyncTwilioChannel:
    def __init__(self, settings: TwilioSettings) -> None:
        """Call inside a running event loop (see `open`)."""
        self.settings = settings
        self.http_client = _QuietHttpClient(pool_connections=False, timeout=settings.timeout_s)
        proxy, proxy_auth = environment_proxy(settings.base_url or TWILIO_API)
        extra: dict[str, Any] = {"proxy_auth": proxy_auth} if proxy_auth is not None else {}
        self.http_client.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=settings.max_connections),
            proxy=proxy,
            **extra,
        )
        self.client = Client(
            settings.account_sid, settings.auth_token, http_client=self.http_client
        )
        if settings.base_url:
            self.client.api.base_url = settings.base_url.rstrip("/")

    @classmethod
    async def open(cls, settings: TwilioSettings) -> AsyncTwilioChannel:
        return cls(settings)

    def _bounded(self, deadline: float | None) -> asyncio.Timeout:
        if deadline is None:
            return asyncio.timeout(self.settings.timeout_s)
        return asyncio.timeout_at(deadline)

    async def close(self) -> None:
        await self.http_client.close()

    async def send_sms(
        self, to: str, body: str, status_callback: str | None, deadline: float | None = None
    ) -> ProviderAnswer:
        """`deadline` (the loop's clock): when the answer must have come; by default the
        provider timeout from now."""
        kwargs: dict[str, Any] = {"to": to, "from_": self.settings.sms_sender, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            async with self._bounded(deadline):
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

    async def place_call(
        self, to: str, twiml: str, status_callback: str | None, deadline: float | None = None
    ) -> ProviderAnswer:
        kwargs: dict[str, Any] = {"to": to, "from_": self.settings.voice_caller, "twiml": twiml}
        if status_callback:
            kwargs["status_callback"] = status_callback
            kwargs["status_callback_event"] = ["initiated", "ringing", "answered", "completed"]
        try:
            async with self._bounded(deadline):
                call = await self.client.calls.create_async(**kwargs)
        except (TwilioException, OSError, ValueError, aiohttp.ClientError, TimeoutError) as error:
            return _answer_from_error(error)
        if not call.sid:
            return _UNREADABLE
        return ProviderAnswer(http_status=201, sid=call.sid, status=str(call.status))
