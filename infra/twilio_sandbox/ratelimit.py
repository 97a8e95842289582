"""A token bucket: the provider's throughput, counted in SMS segments per second."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Holds at most one second of tokens, so a client cannot burst far above the rate."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self._clock = clock
        self._tokens = self.capacity
        self._stamp = clock()

    def try_take(self, cost: float) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        # A message longer than the whole bucket would otherwise never pass.
        cost = min(cost, self.capacity)
        if self._tokens < cost:
            return False
        self._tokens -= cost
        return True
