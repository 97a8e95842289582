"""The one place that talks to Twilio, through its official SDK.

`base_url` points the SDK at our Twilio sandbox in development and tests; with real credentials
and no base URL it talks to Twilio itself. Every answer is turned into a `ProviderAnswer` the
pure delivery policy can classify; SDK exceptions never leave this module.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse
from urllib3.exceptions import NameResolutionError, NewConnectionError


@dataclass(frozen=True)
class ProviderAnswer:
    http_status: int | None  # None: no answer at all (connection refused, timeout)
    sid: str | None = None
    status: str | None = None
    segments: int | None = None
    error_code: int | None = None
    message: str = ""
    # No usable answer, but the request may have reached the provider (a read timeout, a garbled
    # reply): before trying again, ask whether it was accepted.
    maybe_sent: bool = False


@dataclass(frozen=True)
class ProviderStatus:
    """What the provider says now of a message or call it accepted: its status (`unknown` when
    it has no such SID) and, for an SMS that failed, the error code."""

    status: str
    error_code: str | None = None


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    sms_sender: str  # an alphanumeric sender ID ("MAIRIE") or a number
    voice_caller: str  # calls need a real number
    base_url: str | None = None  # the sandbox; None for Twilio itself
    timeout_s: float = 10.0
    max_connections: int = 64  # kept-alive connections: one per concurrent sender


def _never_left(error: Exception) -> bool:
    """True when the request surely never reached the provider (no connection was made)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        return isinstance(reason, NewConnectionError | NameResolutionError)
    return False


def _answer_from_error(error: Exception) -> ProviderAnswer:
    if isinstance(error, TwilioRestException):
        return ProviderAnswer(
            http_status=error.status, error_code=error.code, message=str(error.msg)
        )
    return ProviderAnswer(
        http_status=None,
        message=f"{type(error).__name__}: {error}",
        maybe_sent=not _never_left(error),
    )


def voice_twiml(text: str, gather_action: str | None, *, repeat: int = 2) -> str:
    """French speech, read twice; with `gather_action`, "press 1" confirms it was heard."""
    say = f'<Say language="fr-FR">{escape(text)}</Say>'
    if gather_action is None:
        return f"<Response>{say * repeat}</Response>"
    prompt = (
        '<Say language="fr-FR">Appuyez sur 1 pour confirmer que vous avez entendu ce message.</Say>'
    )
    gather = (
        f'<Gather numDigits="1" timeout="8" action={quoteattr(gather_action)} method="POST">'
        f"{say}{prompt}</Gather>"
    )
    return f"<Response>{say}{gather}</Response>"


def gather_twiml(text: str, prompt: str, gather_action: str | None) -> str:
    """French speech, then a one-digit keypress sent to `gather_action` (said twice without it)."""
    response = VoiceResponse()
    response.say(text, language="fr-FR")
    if gather_action is None:
        response.say(text, language="fr-FR")
        return str(response)
    gather = response.gather(num_digits=1, timeout=8, action=gather_action, method="POST")
    gather.say(text, language="fr-FR")
    gather.say(prompt, language="fr-FR")
    return str(response)


def say_twiml(text: str) -> str:
    response = VoiceResponse()
    response.say(text, language="fr-FR")
    return str(response)


TWILIO_API = "https://api.twilio.com"
# A success without a SID (a proxy's or a broken provider's reply): nothing to track it by.
_UNREADABLE = ProviderAnswer(
    http_status=None, message="the provider's answer carried no SID", maybe_sent=True
)


def _read_environment_once(session: Any, url: str) -> None:
    """Proxy and CA settings from the environment, read once rather than on every request.

    requests re-reads every environment variable per request to find proxies (about half of the
    SDK's CPU per message in our fan-out profile); the answer for our one API host never changes.
    """
    session.proxies.update(get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


class TwilioChannel:
    def __init__(self, settings: TwilioSettings) -> None:
        self.settings = settings
        http_client = TwilioHttpClient(pool_connections=True, timeout=settings.timeout_s)
        if http_client.session is not None:
            # requests keeps 10 connections by default: with more concurrent sends, every extra
            # request would open (and then drop) a new TCP connection.
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=settings.max_connections)
            http_client.session.mount("https://", adapter)
            http_client.session.mount("http://", adapter)
            _read_environment_once(http_client.session, settings.base_url or TWILIO_API)
        self.client = Client(settings.account_sid, settings.auth_token, http_client=http_client)
        if settings.base_url:
            self.client.api.base_url = settings.base_url.rstrip("/")

    def send_sms(self, to: str, body: str, status_callback: str | None) -> ProviderAnswer:
        kwargs: dict[str, Any] = {"to": to, "from_": self.settings.sms_sender, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except (TwilioException, OSError, ValueError) as error:
            return _answer_from_error(error)
        if not message.sid:
            return _UNREADABLE
        return ProviderAnswer(
            http_status=201,
            sid=message.sid,
            status=str(message.status),
            segments=int(message.num_segments) if message.num_segments else None,
        )

    def place_call(self, to: str, twiml: str, status_callback: str | None) -> ProviderAnswer:
        kwargs: dict[str, Any] = {"to": to, "from_": self.settings.voice_caller, "twiml": twiml}
        if status_callback:
            kwargs["status_callback"] = status_callback
            kwargs["status_callback_event"] = ["initiated", "ringing", "answered", "completed"]
        try:
            call = self.client.calls.create(**kwargs)
        except (TwilioException, OSError, ValueError) as error:
            return _answer_from_error(error)
        if not call.sid:
            return _UNREADABLE
        return ProviderAnswer(http_status=201, sid=call.sid, status=str(call.status))

    def find_sms(self, to: str, body: str, sent_after: datetime) -> str | None:
        """The SID of an SMS already accepted for `to` with this body, if any.

        Used after a crash between sending and recording: it tells "sent, not recorded" from
        "never sent", so the recipient gets the message exactly once.
        """
        # Filtered here rather than by DateSent, which a queued message does not have yet.
        for message in self.client.messages.list(to=to, limit=50):
            created = message.date_created
            if message.body == body and (created is None or created >= sent_after):
                return str(message.sid)
        return None

    def find_call(self, to: str, started_after: datetime) -> str | None:
        for call in self.client.calls.list(to=to, limit=20):
            created = call.date_created
            if created is None or created >= started_after:
                return str(call.sid)
        return None

    def sms_status(self, sid: str) -> ProviderStatus | None:
        """The SMS's status as the provider has it now; None when it cannot be asked now."""
        found = _fetched(self.client.messages(sid).fetch)
        if found is None or isinstance(found, ProviderStatus):
            return found
        code = found.error_code
        return ProviderStatus(str(found.status), str(code) if code else None)

    def call_status(self, sid: str) -> ProviderStatus | None:
        """The call's status as the provider has it now; None when it cannot be asked now."""
        found = _fetched(self.client.calls(sid).fetch)
        if found is None or isinstance(found, ProviderStatus):
            return found
        return ProviderStatus(str(found.status))


def _fetched(fetch: Callable[[], Any]) -> Any:
    """The resource; `unknown` when the provider has no such SID; None when it cannot say now."""
    try:
        return fetch()
    except TwilioRestException as error:
        return ProviderStatus("unknown") if error.status == 404 else None
    except (TwilioException, OSError, ValueError):
        return None


def signature_is_valid(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    """Twilio signs every webhook; a forged or altered callback fails this check."""
    return bool(RequestValidator(auth_token).validate(url, params, signature))
