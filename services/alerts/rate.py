"""A token bucket: the provider's pace, counted in SMS segments per second, per sender.

Pure: the clock is passed in, so the bucket can be tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate_per_s: float  # 0 means no limit
    burst: float = 0.0  # how much may go at once after a pause; defaults to one second's worth
    _tokens: float = field(init=False, default=0.0)
    _updated: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rate_per_s < 0:
            raise ValueError("rate must be positive, or 0 for no limit")
        if self.burst <= 0:
            self.burst = max(1.0, self.rate_per_s)
        self._tokens = self.burst

    def wait_time(self, cost: float, now: float) -> float:
        """Seconds to wait before `cost` tokens are there (0 if they are); takes them if so."""
        if self.rate_per_s == 0:
            return 0.0
        if self._updated is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now
        if self._tokens >= cost:
            self._tokens -= cost
            return 0.0
        missing = cost - self._tokens
        # Reserve now: the caller sleeps then sends, and the debt keeps others behind it.
        self._tokens -= cost
        return missing / self.rate_per_s
