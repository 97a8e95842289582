"""An accepted SMS goes queued → sent → delivered (or undelivered, 30003, for chosen numbers),
with a signed status callback at each step, in that order."""

from __future__ import annotations

from .resources import API_VERSION, Message, now
from .runtime import Sandbox

UNREACHABLE = (30003, "Unreachable destination handset")


async def _set_status(sandbox: Sandbox, message: Message, status: str) -> None:
    message.status = status
    message.date_updated = now()
    if not (sandbox.config.callbacks and message.status_callback):
        return
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or "",
        "MessageSid": message.sid,
        "MessageStatus": status,
        "SmsSid": message.sid,
        "SmsStatus": status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    await sandbox.webhooks.post(message.status_callback, params)


async def deliver(sandbox: Sandbox, message: Message) -> None:
    await _set_status(sandbox, message, "queued")
    await sandbox.pause()
    message.date_sent = now()
    price = float(sandbox.config.price_per_segment) * message.num_segments
    message.price = f"-{price:.5f}"
    await _set_status(sandbox, message, "sent")
    await sandbox.pause()
    if message.to in sandbox.config.undelivered:
        message.error_code, message.error_message = UNREACHABLE
        await _set_status(sandbox, message, "undelivered")
    else:
        await _set_status(sandbox, message, "delivered")


def settles_at_once(sandbox: Sandbox, message: Message) -> bool:
    """No callback to post and no pause to keep: the whole lifecycle can run in the request,
    without a task per message (the benchmark's hot path, 100,000 messages)."""
    return (
        not (sandbox.config.callbacks and message.status_callback)
        and sandbox.config.status_delay <= 0
        and message.to not in sandbox.config.undelivered
    )


def settle_now(sandbox: Sandbox, message: Message) -> None:
    """What `deliver` ends with, for a message that `settles_at_once`."""
    message.date_sent = now()
    price = float(sandbox.config.price_per_segment) * message.num_segments
    message.price = f"-{price:.5f}"
    message.status = "delivered"
    message.date_updated = message.date_sent
