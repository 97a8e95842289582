"""Transactional outbox: events are written with the state they describe, then relayed.

A store appends the event to `<prefix>:outbox` in the same MULTI/EXEC as its state change, so the
two never diverge; `relay` publishes pending entries and deletes each one once published. A crash
between the two only delays an event (the timer relays it), and consumers are idempotent on
`event_id`, so a relay repeated after a crash is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis
from redis.client import Pipeline

Dispatch = Callable[[str, dict[str, Any]], None]


def outbox_key(prefix: str) -> str:
    return f"{prefix}:outbox"


def append(pipe: Pipeline, prefix: str, event_type: str, body: dict[str, Any]) -> None:
    """Queue an event inside the caller's transaction."""
    pipe.xadd(outbox_key(prefix), {"type": event_type, "body": json.dumps(body)})


def relay(client: redis.Redis, prefix: str, dispatch: Dispatch, *, batch: int = 100) -> int:
    """Publish what is pending, oldest first; return how many were published."""
    lock = client.lock(f"{prefix}:outbox:relay-lock", timeout=30, blocking=False)
    if not lock.acquire(blocking=False):
        return 0  # another worker is relaying right now
    published = 0
    try:
        while True:
            entries: list[tuple[str, dict[str, str]]] = client.xrange(  # type: ignore[assignment]
                outbox_key(prefix), count=batch
            )
            if not entries:
                return published
            for entry_id, fields in entries:
                dispatch(fields["type"], json.loads(fields["body"]))
                client.xdel(outbox_key(prefix), entry_id)
                published += 1
    finally:
        lock.release()


def pending(client: redis.Redis, prefix: str) -> int:
    return int(client.xlen(outbox_key(prefix)))
