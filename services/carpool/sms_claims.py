"""Who is answering an inbound SMS, and whether they are still alive to do it.

Two deliveries of one SMS (a redelivery, two instances) must answer once: the first claims the
SMS, the other waits for its answer. A claimer killed mid-answer would leave the other waiting
out the claim's whole life; instead each process keeps a short lease alive (renewed by a timer
and at each claim), and a waiter takes the claim over as soon as its holder's lease is gone.
"""

from __future__ import annotations

import os
import socket
import uuid

import redis

CLAIM_S = 30  # a claim outlives any answer; a dead holder is noticed by its lease long before
LEASE_S = 10  # a live process renews every 2 s

# Take the claim from `holder` only if it still holds it (another waiter may have been first).
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


def process_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SmsClaims:
    def __init__(self, client: redis.Redis, prefix: str, owner: str) -> None:
        self.client = client
        self.prefix = prefix  # the deployment's shared prefix
        self.owner = owner

    def _alive(self, owner: str) -> str:
        return f"{self.prefix}:sms-owner:{owner}"

    def renew(self) -> None:
        self.client.set(self._alive(self.owner), "1", ex=LEASE_S)

    def claim(self, key: str) -> bool:
        """Claim the SMS if nobody has; this process is then known alive."""
        self.renew()
        return bool(self.client.set(key, self.owner, nx=True, ex=CLAIM_S))

    def take_over_if_dead(self, key: str) -> bool:
        """True when the SMS is now ours: its claim lapsed, or its holder's lease is gone."""
        holder = self.client.get(key)
        if holder is None:
            return self.claim(key)
        if holder == self.owner or self.client.exists(self._alive(str(holder))):
            return False
        taken = self.client.eval(_TAKE_OVER, 1, key, str(holder), self.owner, CLAIM_S)
        return bool(taken)
