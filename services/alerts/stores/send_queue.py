"""The send queue of one campaign message (frozen recipients, in flight, retries) and what
instances share: leases and the provider's pace.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

from contracts.alerts import RecipientState
from services.alerts.stores.base import CHUNK, StoreBase

# Move up to ARGV[1] recipients from the queue to the in-flight hash (recipient → the instance
# sending it, ARGV[2]) in one round trip.
_CLAIM = """
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local key = redis.call('LPOP', KEYS[1])
  if not key then break end
  redis.call('HSET', KEYS[2], key, ARGV[2])
  out[#out + 1] = key
end
return out
"""

# Take over an in-flight recipient from an instance whose lease expired: only one live instance
# wins it (the others see a new owner and leave it alone).
_TAKE_OVER = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""

# One token bucket in Redis for every instance of the deployment: reserve `cost` tokens and
# return how long the caller must wait before sending (the debt keeps the others behind it).
# Redis's own clock, so instances on several machines agree.
_TAKE_TOKENS = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or burst)
local stamp = tonumber(redis.call('HGET', KEYS[1], 'stamp') or now)
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""

# Freeze one chunk of recipients: each state is written once (SET NX), and only a new one is
# queued, counted and added to its contact's history, so a freeze that failed half-way is
# completed by running it again, without queueing anyone twice.
_FREEZE_CHUNK = """
local added = 0
for i = 1, #ARGV, 4 do
  if redis.call('SET', KEYS[3] .. ARGV[i], ARGV[i + 1], 'NX') then
    redis.call('RPUSH', KEYS[1], ARGV[i])
    redis.call('RPUSH', ARGV[i + 2], ARGV[i + 3])
    added = added + 1
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[2], 'pending', added) end
return added
"""


class SendQueueStore(StoreBase):
    SCRIPTS = {
        "_claim": _CLAIM,
        "_take_over": _TAKE_OVER,
        "_take_tokens": _TAKE_TOKENS,
        "_freeze_chunk": _FREEZE_CHUNK,
    }

    def freeze_recipients(
        self, tenant: str, campaign_id: str, number: int, states: list[RecipientState]
    ) -> bool:
        """Write every recipient's initial state and queue them, once. False if already done.

        Resumable: a freeze interrupted half-way (a crash, Redis gone) is completed by calling
        it again; recipients already written are not queued twice.
        """
        marker = self._msg(tenant, campaign_id, number, "frozen")
        if self.client.get(marker) == "done":
            return False
        self.client.set(marker, "writing")
        queue = self._msg(tenant, campaign_id, number, "queue")
        counts = self._msg(tenant, campaign_id, number, "counts")
        prefix = self._msg(tenant, campaign_id, number, "r", "")
        for start in range(0, len(states), CHUNK):
            args: list[str] = []
            for state in states[start : start + CHUNK]:
                args += [
                    state.key,
                    state.model_dump_json(),
                    self._k(tenant, "contact", state.contact_id, "history"),
                    f"{campaign_id}:{number}:{state.channel}",
                ]
            self._freeze_chunk(keys=[queue, counts, prefix], args=args)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._msg(tenant, campaign_id, number, "total"), len(states))
            pipe.set(marker, "done")
            pipe.sadd(self._shared("active"), f"{tenant}|{campaign_id}|{number}")
            pipe.execute()
        return True

    def is_frozen(self, tenant: str, campaign_id: str, number: int) -> bool:
        return self.client.get(self._msg(tenant, campaign_id, number, "frozen")) == "done"

    def add_recipient(
        self, tenant: str, campaign_id: str, number: int, state: RecipientState
    ) -> bool:
        """Queue one more recipient (a call after an undelivered SMS), once per key."""
        key = self._msg(tenant, campaign_id, number, "r", state.key)
        if not self.client.set(key, state.model_dump_json(), nx=True):
            return False
        with self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(self._msg(tenant, campaign_id, number, "queue"), state.key)
            pipe.hincrby(self._msg(tenant, campaign_id, number, "counts"), "pending", 1)
            pipe.incr(self._msg(tenant, campaign_id, number, "total"))
            pipe.sadd(self._shared("active"), f"{tenant}|{campaign_id}|{number}")
            pipe.execute()
        return True

    def active_messages(self) -> list[tuple[str, str, int]]:
        found = []
        for item in self.client.smembers(self._shared("active")):
            tenant, campaign_id, number = item.split("|")
            found.append((tenant, campaign_id, int(number)))
        return found

    def deactivate(self, tenant: str, campaign_id: str, number: int) -> None:
        self.client.srem(self._shared("active"), f"{tenant}|{campaign_id}|{number}")

    def claim(
        self, tenant: str, campaign_id: str, number: int, batch: int, owner: str
    ) -> list[str]:
        keys = [
            self._msg(tenant, campaign_id, number, "queue"),
            self._msg(tenant, campaign_id, number, "inflight"),
        ]
        return list(self._claim(keys=keys, args=[batch, owner]))

    def inflight(self, tenant: str, campaign_id: str, number: int) -> dict[str, str]:
        """Recipients being sent right now, each with the instance sending it."""
        return dict(self.client.hgetall(self._msg(tenant, campaign_id, number, "inflight")))

    def take_over(
        self, tenant: str, campaign_id: str, number: int, key: str, dead: str, owner: str
    ) -> bool:
        """Make `owner` the sender of a recipient `dead` left in flight; False if another
        instance was faster or the recipient moved on."""
        inflight = self._msg(tenant, campaign_id, number, "inflight")
        return bool(self._take_over(keys=[inflight], args=[key, dead, owner]))

    def release(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        self.client.hdel(self._msg(tenant, campaign_id, number, "inflight"), key)

    def requeue(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(self._msg(tenant, campaign_id, number, "queue"), key)
            pipe.hdel(self._msg(tenant, campaign_id, number, "inflight"), key)
            pipe.execute()

    def schedule_retry(
        self, tenant: str, campaign_id: str, number: int, key: str, at: float
    ) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(self._msg(tenant, campaign_id, number, "retry"), {key: at})
            pipe.hdel(self._msg(tenant, campaign_id, number, "inflight"), key)
            # A recall can come after the message went quiet: make the sender look again.
            pipe.sadd(self._shared("active"), f"{tenant}|{campaign_id}|{number}")
            pipe.execute()

    def renew_lease(self, owner: str, ttl_s: float) -> None:
        """`owner` is alive for `ttl_s` more seconds; its in-flight work is its own till then."""
        self.client.set(self._shared(f"lease:{owner}"), "1", px=int(ttl_s * 1000))

    def drop_lease(self, owner: str) -> None:
        self.client.delete(self._shared(f"lease:{owner}"))

    def is_alive(self, owner: str) -> bool:
        return bool(self.client.exists(self._shared(f"lease:{owner}")))

    def take_tokens(self, bucket: str, rate_per_s: float, burst: float, cost: float) -> float:
        """Seconds to wait before sending `cost` on the deployment-wide `bucket` (reserved)."""
        if rate_per_s <= 0:
            return 0.0
        wait = self._take_tokens(
            keys=[self._shared(f"rate:{bucket}")], args=[rate_per_s, burst, cost]
        )
        return float(wait)

    def server_run_id(self) -> str:
        """Changes when Redis restarts: the sender then reconciles what may have been lost."""
        return str(self.client.info("server").get("run_id", ""))

    def due_retries(self, tenant: str, campaign_id: str, number: int, now: float) -> int:
        retry = self._msg(tenant, campaign_id, number, "retry")
        due = self.client.zrangebyscore(retry, 0, now)
        if due:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.zrem(retry, *due)
                pipe.rpush(self._msg(tenant, campaign_id, number, "queue"), *due)
                pipe.execute()
        return len(due)

    def outstanding(self, tenant: str, campaign_id: str, number: int) -> int:
        """Recipients queued, in flight or waiting for a retry."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.llen(self._msg(tenant, campaign_id, number, "queue"))
            pipe.hlen(self._msg(tenant, campaign_id, number, "inflight"))
            pipe.zcard(self._msg(tenant, campaign_id, number, "retry"))
            return int(sum(pipe.execute()))

    def drain_queue(self, tenant: str, campaign_id: str, number: int) -> list[str]:
        """Take everything not yet sent out of the queue and the retry schedule (cancel)."""
        queue = self._msg(tenant, campaign_id, number, "queue")
        retry = self._msg(tenant, campaign_id, number, "retry")
        with self.client.pipeline(transaction=True) as pipe:
            pipe.lrange(queue, 0, -1)
            pipe.zrange(retry, 0, -1)
            pipe.delete(queue, retry)
            queued, retrying, _ = pipe.execute()
        return list(queued) + list(retrying)
