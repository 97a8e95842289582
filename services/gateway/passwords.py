"""Password hashing sized for a small server, with a bound on how many hashes run at once.

argon2id with OWASP's first recommended setting (19 MiB, t=2, p=1) instead of argon2-cffi's
default (64 MiB, p=4): twenty concurrent logins at the default took the gateway past 1 GB.
At most `concurrency` hashes run in this process at a time; a login that cannot get a slot
within `wait_s` is refused (`HashingBusy`, a 503 with Retry-After) rather than queued without
bound. The bound is per process on purpose: it limits this process's memory.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1

_T = TypeVar("_T")


class HashingBusy(Exception):
    """Every hashing slot stayed taken for the whole wait: the client should retry shortly."""

    retry_after_s = 2


class Passwords:
    def __init__(self, concurrency: int = 4, wait_s: float = 5.0) -> None:
        self.hasher = PasswordHasher(
            time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM
        )
        self.slots = threading.BoundedSemaphore(concurrency)
        self.wait_s = wait_s

    @contextmanager
    def slot(self) -> Iterator[None]:
        """One of the hashing slots, or HashingBusy after `wait_s`."""
        if not self.slots.acquire(timeout=self.wait_s):
            raise HashingBusy
        try:
            yield
        finally:
            self.slots.release()

    def _bounded(self, work: Callable[[], _T]) -> _T:
        with self.slot():
            return work()

    def hash(self, password: str) -> str:
        return self._bounded(lambda: self.hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self.hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return self._bounded(check)

    def verify_unknown(self, password: str) -> None:
        """The same work as a real check, for a name that does not exist: timing tells nothing."""
        self.verify(self._dummy_hash(), password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    @functools.cached_property
    def _dummy(self) -> str:
        return self.hasher.hash("not a password anyone has")

    def _dummy_hash(self) -> str:
        # Made with the current parameters, so it costs what a real user's check costs.
        return self._dummy
