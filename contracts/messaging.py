"""Messages the alerts service sends or receives for other services (transactional SMS)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.base import Contract


class SmsReceived(Contract):
    """An SMS a person sent to our number that is not STOP/START (event `alerts.sms_received`).

    The envelope's `event_id` is the provider's message SID: a repeated webhook is the same event.
    """

    message_sid: str = Field(min_length=1, max_length=64)
    from_phone: str = Field(description="E.164")
    to: str = ""
    body: str = Field(max_length=1600)


class TransactionalSms(Contract):
    """One SMS to one person, sent at most once per `idempotency_key`."""

    to: str = Field(min_length=3, max_length=32)
    body: str = Field(min_length=1, max_length=1600)
    idempotency_key: str = Field(min_length=1, max_length=200)


class TransactionalSmsResult(Contract):
    idempotency_key: str
    status: Literal["sent", "sending", "failed", "opted_out"]
    sid: str | None = None
    error: str = ""
    new: bool = Field(description="false when this key had been sent (or claimed) before")
