"""A provider outage on demand: for a while, the API's sending requests fail or hang.

Modes, for `POST .../Messages.json` and `POST .../Calls.json` only (reads keep answering, as when
Twilio's sending side is in trouble):

- `error`: 500 with Twilio's error 20500 at once; nothing is sent.
- `timeout`: the request hangs `hold_s` seconds, then 503 (20503); nothing is sent. A client with
  a shorter timeout sees no answer at all.
- `lost_answer`: the message or call is accepted and goes out, but the answer hangs `hold_s`
  seconds: a client with a shorter timeout cannot know it left (it must ask before resending).

Pure: the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import TwilioError

Mode = Literal["off", "error", "timeout", "lost_answer"]
MODES: tuple[Mode, ...] = ("off", "error", "timeout", "lost_answer")


@dataclass
class Outage:
    mode: Mode = "off"
    until: float | None = None  # monotonic seconds; None: until switched off
    hold_s: float = 15.0
    hits: int = 0  # sending requests the outage answered (or held)

    def set(self, mode: Mode, now: float, seconds: float | None, hold_s: float) -> None:
        self.mode = mode
        self.until = None if not seconds else now + seconds
        self.hold_s = hold_s

    def current(self, now: float) -> Mode:
        if self.mode != "off" and self.until is not None and now >= self.until:
            self.mode, self.until = "off", None
        return self.mode

    def remaining_s(self, now: float) -> float | None:
        if self.current(now) == "off" or self.until is None:
            return None
        return round(self.until - now, 3)


def server_error() -> TwilioError:
    return TwilioError(500, 20500, "Internal Server Error")


def unavailable() -> TwilioError:
    return TwilioError(503, 20503, "Service Unavailable")
