"""How a recipient's state may move: statuses only go forward, whatever order callbacks arrive in.

Twilio's status callbacks can overtake the answer to the request that created the message (the
callback says "delivered" before the sender has written "accepted"). Ranking the statuses and
never moving backwards makes every arrival order end in the same state. Pure.
"""

from __future__ import annotations

import json
from typing import Any

RANK = {
    "pending": 0,
    "sending": 1,
    "accepted": 2,
    "queued": 2,
    "sent": 3,
    "ringing": 3,
    "in-progress": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "opted_out": 5,
    "cancelled": 5,
    "completed": 5,
    "busy": 5,
    "no-answer": 5,
    "needs_human": 6,
}
FINAL_RANK = 5
RANK_JSON = json.dumps(RANK)  # for the Lua scripts that move statuses forward


def merge(old: dict[str, Any] | None, update: dict[str, Any]) -> dict[str, Any]:
    """The new state: fields of `update` win, except a status that would go backwards.

    `retry` (a send to be tried again) and `recall` (a call to be made again) are the two
    deliberate ways back to `pending`, marked by `update["reopen"]`.
    """
    if old is None:
        return {k: v for k, v in update.items() if k != "reopen"}
    merged = dict(old)
    reopen = bool(update.get("reopen"))
    for field, value in update.items():
        if field == "reopen":
            continue
        if field == "status" and not reopen and _rank(value) < _rank(old.get("status")):
            continue
        if field in {"sid", "error"} and value is None:
            continue  # a later partial update does not erase what we know
        merged[field] = value
    return merged


def _rank(status: object) -> int:
    return RANK.get(status, 0) if isinstance(status, str) else 0


def is_final(status: str) -> bool:
    return RANK.get(status, 0) >= FINAL_RANK
