"""Transactional SMS for other services (a carpool booking, a new plan): exactly once per key.

The key is claimed in Redis before sending (one Lua call), the provider's answer recorded after.
A key found `sending` for longer than `STALE_AFTER_S` was left by a crash or an unsure answer:
the provider is asked whether it accepted that body for that number since the claim; found, it
is recorded `sent`, otherwise it is sent again. So a redelivered request never sends twice.
Retryable refusals (429, 5xx) free the key, so the caller may try again later.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import redis

from contracts.messaging import TransactionalSms, TransactionalSmsResult

STALE_AFTER_S = 30.0
KEEP_S = 30 * 24 * 3600  # how long a key is remembered

_CLAIM = """
local state = redis.call('HGETALL', KEYS[1])
if #state == 0 then
  redis.call('HSET', KEYS[1], 'status', 'sending', 'claimed_at', ARGV[1], 'to', ARGV[2],
             'body', ARGV[3])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return {'claimed'}
end
return state
"""


class Provider(Protocol):
    def send_sms(self, to: str, body: str, status_callback: str | None) -> Any: ...

    def find_sms(self, to: str, body: str, sent_after: datetime) -> str | None: ...


class TransactionalSender:
    def __init__(self, client: redis.Redis, deployment: str, provider: Provider) -> None:
        self.client = client
        self.deployment = deployment
        self.provider = provider
        self._claim = client.register_script(_CLAIM)

    def _key(self, tenant: str, idempotency_key: str) -> str:
        return f"alerts:_:{self.deployment}:tx:{tenant}:{idempotency_key}"

    def send(self, tenant: str, sms: TransactionalSms, e164: str) -> TransactionalSmsResult:
        key = self._key(tenant, sms.idempotency_key)
        now = time.time()
        answer = self._claim(keys=[key], args=[now, e164, sms.body, KEEP_S])
        if answer != ["claimed"]:
            state = dict(zip(answer[::2], answer[1::2], strict=True))
            if state.get("status") != "sending" or now - float(state["claimed_at"]) < STALE_AFTER_S:
                return self._result(sms.idempotency_key, state, new=False)
            since = datetime.fromtimestamp(float(state["claimed_at"]), UTC) - timedelta(seconds=5)
            sid = self.provider.find_sms(e164, sms.body, since)
            if sid is not None:
                self.client.hset(key, mapping={"status": "sent", "sid": sid})
                return self._result(sms.idempotency_key, {"status": "sent", "sid": sid}, new=False)
            self.client.hset(key, "claimed_at", now)
        return self._deliver(key, sms, e164)

    def _deliver(self, key: str, sms: TransactionalSms, e164: str) -> TransactionalSmsResult:
        sent = self.provider.send_sms(e164, sms.body, None)
        if sent.sid:
            state = {"status": "sent", "sid": sent.sid}
        elif sent.maybe_sent:
            state = {"status": "sending"}  # settled by the next call with this key
        elif sent.http_status == 429 or (sent.http_status or 0) >= 500:
            self.client.delete(key)
            state = {"status": "failed", "error": f"retry later: {sent.message}"}
            return self._result(sms.idempotency_key, state, new=True)
        else:
            state = {"status": "failed", "error": f"{sent.error_code}: {sent.message}"}
        self.client.hset(key, mapping=state)
        return self._result(sms.idempotency_key, state, new=True)

    def opted_out(self, sms: TransactionalSms) -> TransactionalSmsResult:
        return TransactionalSmsResult(
            idempotency_key=sms.idempotency_key, status="opted_out", new=False
        )

    @staticmethod
    def _result(key: str, state: dict[str, Any], new: bool) -> TransactionalSmsResult:
        return TransactionalSmsResult(
            idempotency_key=key,
            status=state.get("status", "failed"),
            sid=state.get("sid") or None,
            error=state.get("error", ""),
            new=new,
        )
