"""How long a run of failed logins makes the next attempt wait (pure).

A few mistakes cost nothing; after them each failure doubles the wait (backoff); at `lock_after`
failures the subject is locked for `lock_s`. Counts are per subject (a username, a client
address) and forgotten `window_s` after the last failure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    lock_after: int
    lock_s: int
    max_backoff_s: int = 60
    window_s: int = 900

    def __post_init__(self) -> None:
        if not 0 <= self.free_failures < self.lock_after:
            raise ValueError("free_failures must be below lock_after")
        if self.lock_s < 1 or self.max_backoff_s < 1 or self.window_s < 1:
            raise ValueError("lock_s, max_backoff_s and window_s must be positive")

    def wait_after(self, failures: int) -> int:
        """Seconds before the next attempt is heard, after `failures` failures in the window."""
        if failures >= self.lock_after:
            return self.lock_s
        if failures <= self.free_failures:
            return 0
        backoff: int = 2 ** (failures - self.free_failures)
        return min(backoff, self.max_backoff_s)

    def is_lock(self, failures: int) -> bool:
        return failures >= self.lock_after


# Per account: a person who mistypes three times is never slowed; a guesser is locked after 10.
PER_USERNAME = ThrottlePolicy(free_failures=3, lock_after=10, lock_s=900)
# Per client address: wider, as several people may share one (a town hall behind one NAT).
PER_ADDRESS = ThrottlePolicy(free_failures=20, lock_after=100, lock_s=900)


def refusal_message(subject: str, wait_s: int, locked: bool) -> str:
    minutes = (wait_s + 59) // 60
    if locked:
        return (
            f"too many failed logins for this {subject}: locked for {minutes} minute(s); "
            f"try again in {wait_s} s or ask an administrator"
        )
    return f"too many failed logins for this {subject}: wait {wait_s} s before trying again"
