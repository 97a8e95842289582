"""Messages and calls as the sandbox keeps them, and their JSON as the 2010-04-01 API shows it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """Two letters and 32 hex digits, 34 characters, like every Twilio SID."""
    return prefix + os.urandom(16).hex()


def rfc2822(moment: datetime | None) -> str | None:
    return None if moment is None else _rfc2822(moment)


@lru_cache(maxsize=64)  # timestamps are to the second: a burst shares a handful of them
def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(slots=True)
class Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    num_segments: int
    direction: str = "outbound-api"
    status: str = "queued"
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    date_created: datetime = field(default_factory=now)
    date_updated: datetime | None = None
    date_sent: datetime | None = None

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def to_json(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(self.num_segments),
            "price": self.price,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": self.uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": self.uri,
        }


@dataclass(slots=True)
class Call:
    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    method: str = "POST"
    status: str = "queued"
    status_callback: str | None = None
    status_callback_events: tuple[str, ...] = ("completed",)
    said: list[str] = field(default_factory=list)  # every <Say> heard, in order
    digits: list[str] = field(default_factory=list)  # every simulated keypress
    gather_action: str | None = None  # set while the call waits at a <Gather>
    date_created: datetime = field(default_factory=now)
    date_updated: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"

    @property
    def duration(self) -> str | None:
        if self.start_time is None or self.end_time is None:
            return None
        return str(int((self.end_time - self.start_time).total_seconds()))

    def to_json(self) -> dict[str, Any]:
        base = self.uri[: -len(".json")]
        return {
            "account_sid": self.account_sid,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "direction": "outbound-api",
            "duration": self.duration,
            "end_time": rfc2822(self.end_time),
            "forwarded_from": None,
            "from": self.from_,
            "from_formatted": self.from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": self.sid,
            "start_time": rfc2822(self.start_time),
            "status": self.status,
            "subresource_uris": {
                name: f"{base}/{path}.json"
                for name, path in (
                    ("notifications", "Notifications"),
                    ("recordings", "Recordings"),
                    ("events", "Events"),
                )
            },
            "to": self.to,
            "to_formatted": self.to,
            "trunk_sid": None,
            "uri": self.uri,
        }
