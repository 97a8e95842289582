"""Recipient states: read, moved forward, and the two hot steps of a send (begin, finish), one
round trip each, also in batches.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import redis

from contracts.alerts import RecipientState
from services.alerts.keys import receipts_due_key
from services.alerts.recipient_states import FINAL_RANK, RANK, RANK_JSON, merge
from services.alerts.stores.base import CHUNK, StoreBase

# The two hot steps of a send, each one round trip (100,000 recipients make round trips count).
# BEGIN: only by the instance the recipient is in flight with (another may have taken it over
# while this one was stalled past its lease); a pending recipient becomes `sending` (or
# `opted_out`, for an SMS to an opted-out number); anything else is left alone and reported as
# such. The counts hash follows every change.
_BEGIN_SEND = """
if redis.call('HGET', KEYS[5], ARGV[3]) ~= ARGV[2] then return {'not_mine', ''} end
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing', ''} end
local state = cjson.decode(raw)
if state['status'] ~= 'pending' then return {'skip', raw} end
local new_status = 'sending'
if state['channel'] == 'sms' and (redis.call('HEXISTS', KEYS[3], state['e164']) == 1
    or redis.call('HEXISTS', KEYS[4], state['e164']) == 1) then
  new_status = 'opted_out'
else
  state['attempts'] = (state['attempts'] or 0) + 1
  if state['channel'] == 'voice' then state['calls'] = (state['calls'] or 0) + 1 end
  state['claimed_at'] = ARGV[1]
end
state['status'] = new_status
state['updated_at'] = ARGV[1]
local encoded = cjson.encode(state)
redis.call('SET', KEYS[1], encoded)
redis.call('HINCRBY', KEYS[2], 'pending', -1)
redis.call('HINCRBY', KEYS[2], new_status, 1)
return {new_status, encoded}
"""

# FINISH: record the provider's answer unless a callback already moved the recipient further
# (statuses never go back), and take it off the in-flight list.
_FINISH_SEND = """
local raw = redis.call('GET', KEYS[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if not raw then return 0 end
local state = cjson.decode(raw)
local rank = cjson.decode(ARGV[4])
local old = state['status']
local new = ARGV[2]
if (rank[new] or 0) >= (rank[old] or 0) then state['status'] = new end
if ARGV[3] ~= '' then state['sid'] = ARGV[3] end
state['error'] = cjson.null
state['updated_at'] = ARGV[5]
redis.call('SET', KEYS[1], cjson.encode(state))
if state['status'] ~= old then
  redis.call('HINCRBY', KEYS[2], old, -1)
  redis.call('HINCRBY', KEYS[2], state['status'], 1)
end
return 1
"""

# CLAIM AND BEGIN, for a sender with no pace to wait for: up to ARGV[1] recipients leave the queue,
# are put in flight under ARGV[2] and marked as BEGIN would, in one round trip. A recipient with
# nothing to send (already handled, opted out, gone) is released at once. Returns, per recipient,
# its key, the outcome and the state as stored.
_CLAIM_BEGIN = """
local out = {}
local moved = {}
for i = 1, tonumber(ARGV[1]) do
  local key = redis.call('LPOP', KEYS[1])
  if not key then break end
  local raw = redis.call('GET', ARGV[4] .. key)
  local outcome = 'missing'
  if raw then
    local state = cjson.decode(raw)
    if state['status'] ~= 'pending' then
      outcome = 'skip'
    else
      outcome = 'sending'
      if state['channel'] == 'sms' and (redis.call('HEXISTS', KEYS[4], state['e164']) == 1
          or redis.call('HEXISTS', KEYS[5], state['e164']) == 1) then
        outcome = 'opted_out'
      else
        state['attempts'] = (state['attempts'] or 0) + 1
        if state['channel'] == 'voice' then state['calls'] = (state['calls'] or 0) + 1 end
        state['claimed_at'] = ARGV[3]
      end
      state['status'] = outcome
      state['updated_at'] = ARGV[3]
      raw = cjson.encode(state)
      redis.call('SET', ARGV[4] .. key, raw)
      moved[outcome] = (moved[outcome] or 0) + 1
    end
  end
  if outcome == 'sending' then
    redis.call('HSET', KEYS[2], key, ARGV[2])
  end
  out[#out + 1] = key
  out[#out + 1] = outcome
  out[#out + 1] = raw or ''
end
local begun = 0
for status, n in pairs(moved) do
  redis.call('HINCRBY', KEYS[3], status, n)
  begun = begun + n
end
if begun > 0 then redis.call('HINCRBY', KEYS[3], 'pending', -begun) end
return out
"""

# FINISH MANY: FINISH for a list of accepted sends of one campaign message (ARGV[3..]: key, SID,
# key, SID...), in one call; the counts move once per status.
_FINISH_MANY = """
local rank = cjson.decode(ARGV[1])
local moved = {}
for i = 3, #ARGV, 2 do
  local key = ARGV[i]
  local raw = redis.call('GET', KEYS[3] .. key)
  redis.call('HDEL', KEYS[2], key)
  if raw then
    local state = cjson.decode(raw)
    local old = state['status']
    if (rank['accepted'] or 0) >= (rank[old] or 0) then state['status'] = 'accepted' end
    if ARGV[i + 1] ~= '' then state['sid'] = ARGV[i + 1] end
    state['error'] = cjson.null
    state['updated_at'] = ARGV[2]
    redis.call('SET', KEYS[3] .. key, cjson.encode(state))
    if state['status'] ~= old then
      moved[old] = (moved[old] or 0) - 1
      moved[state['status']] = (moved[state['status']] or 0) + 1
    end
  end
end
for status, n in pairs(moved) do
  if n ~= 0 then redis.call('HINCRBY', KEYS[1], status, n) end
end
return 1
"""


def trusted_state(raw: str) -> RecipientState:
    """A recipient state as this store wrote it (validated on the way in), read without the
    contract's checks: the sender reads one per message, and they cost three times the parse."""
    data = json.loads(raw)
    for name in ("claimed_at", "updated_at", "unsure_since"):
        value = data.get(name)
        if isinstance(value, str):
            data[name] = datetime.fromisoformat(value)
    return RecipientState.model_construct(**data)


class RecipientStore(StoreBase):
    SCRIPTS = {
        "_begin_send": _BEGIN_SEND,
        "_finish_send": _FINISH_SEND,
        "_claim_begin": _CLAIM_BEGIN,
        "_finish_many": _FINISH_MANY,
    }

    def state(self, tenant: str, campaign_id: str, number: int, key: str) -> RecipientState | None:
        raw = self.client.get(self._msg(tenant, campaign_id, number, "r", key))
        return RecipientState.model_validate_json(raw) if raw else None

    def states(self, tenant: str, campaign_id: str, number: int) -> Iterator[RecipientState]:
        pattern = self._msg(tenant, campaign_id, number, "r", "*")
        batch: list[str] = []
        for key in self.client.scan_iter(match=pattern, count=2000):
            batch.append(key)
            if len(batch) >= CHUNK:
                yield from self._load(batch)
                batch = []
        if batch:
            yield from self._load(batch)

    def _load(self, keys: list[str]) -> Iterator[RecipientState]:
        for raw in self.client.mget(keys):
            if raw:
                yield RecipientState.model_validate_json(raw)

    def update_state(
        self, tenant: str, campaign_id: str, number: int, key: str, update: dict[str, Any]
    ) -> RecipientState | None:
        """Apply `update` under optimistic locking; statuses never go backwards (see merge)."""
        state_key = self._msg(tenant, campaign_id, number, "r", key)
        counts = self._msg(tenant, campaign_id, number, "counts")
        update = {**update, "updated_at": datetime.now(UTC).isoformat()}
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(state_key)
                    raw = pipe.get(state_key)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    old = json.loads(raw)
                    new = merge(old, update)
                    pipe.multi()
                    pipe.set(state_key, json.dumps(new))
                    if new["status"] != old["status"]:
                        pipe.hincrby(counts, old["status"], -1)
                        pipe.hincrby(counts, new["status"], 1)
                        if RANK.get(new["status"], 0) >= FINAL_RANK:
                            pipe.zrem(
                                receipts_due_key(self.deployment), state_key
                            )  # nothing left to ask
                    pipe.execute()
                    return RecipientState.model_validate(new)
                except redis.WatchError:
                    continue

    def begin_send(
        self, tenant: str, campaign_id: str, number: int, key: str, owner: str
    ) -> tuple[str, RecipientState | None]:
        """Mark a pending recipient `sending` (or `opted_out`) if it is in flight with `owner`;
        returns (outcome, state); outcome `not_mine` when another instance has it now."""
        outcome, raw = self._begin_send(
            keys=[
                self._msg(tenant, campaign_id, number, "r", key),
                self._msg(tenant, campaign_id, number, "counts"),
                self._k(tenant, "optout"),
                self._shared("optout"),
                self._msg(tenant, campaign_id, number, "inflight"),
            ],
            args=[datetime.now(UTC).isoformat(), owner, key],
        )
        state = RecipientState.model_validate_json(raw) if raw else None
        return str(outcome), state

    def finish_send(
        self,
        tenant: str,
        campaign_id: str,
        number: int,
        key: str,
        status: str,
        sid: str | None,
        chase_at: float,
    ) -> None:
        """Record an accepted send and release it from the in-flight list, in one round trip;
        if no final status has come by `chase_at` (epoch s), the provider is asked."""
        state_key = self._msg(tenant, campaign_id, number, "r", key)
        with self.client.pipeline(transaction=False) as pipe:
            self._finish_send(
                keys=[
                    state_key,
                    self._msg(tenant, campaign_id, number, "counts"),
                    self._msg(tenant, campaign_id, number, "inflight"),
                ],
                args=[key, status, sid or "", RANK_JSON, datetime.now(UTC).isoformat()],
                client=pipe,
            )
            pipe.zadd(receipts_due_key(self.deployment), {state_key: chase_at})
            pipe.execute()

    def claim_and_begin(
        self, tenant: str, campaign_id: str, number: int, batch: int, owner: str
    ) -> list[tuple[str, str, RecipientState | None]]:
        """Claim up to `batch` recipients and begin each, in one round trip, for a sender with
        no pace to wait for (a pace is waited for between claim and begin: `claim`,
        `begin_send`). Returns (key, outcome, state): outcome `sending` for those to send now,
        in flight with `owner`; the others (`opted_out`, `skip`, `missing`) are released."""
        found = self._claim_begin(
            keys=[
                self._msg(tenant, campaign_id, number, "queue"),
                self._msg(tenant, campaign_id, number, "inflight"),
                self._msg(tenant, campaign_id, number, "counts"),
                self._k(tenant, "optout"),
                self._shared("optout"),
            ],
            args=[
                batch,
                owner,
                datetime.now(UTC).isoformat(),
                self._msg(tenant, campaign_id, number, "r", ""),
            ],
        )
        return [
            (
                str(found[i]),
                str(found[i + 1]),
                trusted_state(found[i + 2]) if found[i + 2] else None,
            )
            for i in range(0, len(found), 3)
        ]

    def finish_many(self, accepted: list[tuple[str, str, int, str, str]], chase_at: float) -> None:
        """`finish_send` of many accepted sends, (tenant, campaign, message, key, SID) each: one
        script call per campaign message, all in one round trip."""
        groups: dict[tuple[str, str, int], list[str]] = {}
        for tenant, campaign_id, number, key, sid in accepted:
            groups.setdefault((tenant, campaign_id, number), []).extend((key, sid))
        now = datetime.now(UTC).isoformat()
        with self.client.pipeline(transaction=False) as pipe:
            for (tenant, campaign_id, number), pairs in groups.items():
                self._finish_many(
                    keys=[
                        self._msg(tenant, campaign_id, number, "counts"),
                        self._msg(tenant, campaign_id, number, "inflight"),
                        self._msg(tenant, campaign_id, number, "r", ""),
                    ],
                    args=[RANK_JSON, now, *pairs],
                    client=pipe,
                )
            pipe.zadd(
                receipts_due_key(self.deployment),
                {self._msg(t, c, n, "r", key): chase_at for t, c, n, key, _ in accepted},
            )
            pipe.execute()

    def counts(self, tenant: str, campaign_id: str, number: int) -> tuple[int, dict[str, int]]:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(self._msg(tenant, campaign_id, number, "total"))
            pipe.hgetall(self._msg(tenant, campaign_id, number, "counts"))
            total, counts = pipe.execute()
        return int(total or 0), {k: int(v) for k, v in counts.items() if int(v)}
