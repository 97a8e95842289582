"""Run a side effect once per key, however often the message that asks for it is delivered.

The guard claims the key before the side effect and marks it done after. A crash in between
releases the claim when its lease ends, so the work is retried rather than lost; a redelivery
after completion does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import redis

ResultT = TypeVar("ResultT")

DONE = "done"
CLAIMED = "claimed"


class AlreadyInProgress(RuntimeError):
    """Another worker holds the claim; the caller should let the message be retried later."""


class IdempotencyGuard:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        *,
        lease_s: int = 60,
        remember_s: int = 14 * 24 * 3600,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._lease_ms = lease_s * 1000
        self._remember_s = remember_s

    def key(self, scope: str, item: str) -> str:
        return f"{self._prefix}:idem:{scope}:{item}"

    def already_done(self, scope: str, item: str) -> bool:
        return bool(self._client.get(self.key(scope, item)) == DONE)

    def run_once(
        self, scope: str, item: str, effect: Callable[[], ResultT]
    ) -> tuple[bool, ResultT | None]:
        """Run `effect` unless `(scope, item)` was already done. Returns (ran, result)."""
        key = self.key(scope, item)
        if not self._client.set(key, CLAIMED, nx=True, px=self._lease_ms):
            if self._client.get(key) == DONE:
                return False, None
            raise AlreadyInProgress(f"{scope} {item} is being handled by another worker")
        try:
            result = effect()
        except BaseException:
            self._client.delete(key)
            raise
        self._client.set(key, DONE, ex=self._remember_s)
        return True, result
