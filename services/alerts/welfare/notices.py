"""Pure: one outgoing SMS or call, named by a business key so that it leaves at most once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Notice:
    """An SMS or a call to send exactly once. `key` names it for good (case+contact+channel,
    delivery+kind+person): enqueuing the same key again changes nothing."""

    key: str
    to: str  # E.164
    channel: Literal["sms", "voice"]
    text: str
    # Voice only: the keypress prompt, and the case the keypress acknowledges.
    prompt: str = ""
    case_id: str | None = None
    contact_index: int | None = None
