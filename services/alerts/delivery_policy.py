"""What to do after the provider answered: the delivery rules, as pure decisions.

Twilio's answers fall in four kinds: accepted; worth retrying later (429/20429 over the rate, 5xx,
network errors); final for this number (21211 invalid, 21610 unsubscribed, other 4xx); and
"wrong channel" (21614, a landline asked for an SMS: call it instead). Bad credentials (20003)
stop the whole campaign, since every further request would fail the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["accepted", "retry", "switch_to_voice", "opted_out", "failed", "halt"]

INVALID_NUMBER = 21211
NOT_MOBILE = 21614
UNSUBSCRIBED = 21610
TOO_MANY_REQUESTS = 20429
AUTHENTICATION = 20003
UNREACHABLE = 30003


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


def decide(http_status: int | None, error_code: int | None, message: str = "") -> Decision:
    """Classify a provider answer. `http_status` None means the request never got an answer."""
    if http_status is None:
        return Decision("retry", f"no answer from the provider: {message}".strip())
    if 200 <= http_status < 300:
        return Decision("accepted", "accepted by the provider")
    if error_code == AUTHENTICATION or http_status == 401:
        return Decision("halt", "the provider refused our credentials (20003)")
    if error_code == TOO_MANY_REQUESTS or http_status == 429:
        return Decision("retry", "over the provider's rate (20429)")
    if http_status >= 500:
        return Decision("retry", f"provider error {http_status}")
    if error_code == NOT_MOBILE:
        return Decision("switch_to_voice", "not a mobile number (21614): calling instead")
    if error_code == UNSUBSCRIBED:
        return Decision("opted_out", "the person replied STOP (21610)")
    if error_code == INVALID_NUMBER:
        return Decision("failed", "invalid phone number (21211)")
    return Decision("failed", f"refused by the provider ({error_code or http_status}): {message}")


def retry_delay_s(attempt: int, *, base_s: float = 0.5, cap_s: float = 30.0) -> float:
    """Exponential backoff: 0.5, 1, 2, 4 ... seconds, capped; `attempt` counts from 1."""
    return float(min(cap_s, base_s * 2 ** (attempt - 1)))


MAX_ATTEMPTS = 8

# Final states of one message to one number, as status callbacks report them.
SMS_FINAL = {"delivered", "undelivered", "failed"}
CALL_FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


# An SMS that did not arrive is followed by a call to the same person (when the campaign calls).
SMS_NOT_ARRIVED = frozenset({"undelivered", "failed"})


def sms_needs_a_call(status: str) -> bool:
    return status in SMS_NOT_ARRIVED


def call_needs_a_retry(status: str, confirmed: bool, calls_made: int, max_calls: int) -> bool:
    """A vulnerable person who did not confirm is called again, up to `max_calls` calls."""
    if confirmed:
        return False
    return status in CALL_FINAL and calls_made < max_calls
