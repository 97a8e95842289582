"""The alerts service's state in Redis, under `alerts:<tenant>:`.

Contacts and opt-outs; campaigns; per campaign message, one key per recipient holding its state,
a queue of recipients still to send, the list of those being sent right now (`inflight`, for crash
recovery), a retry schedule, and status counts for live progress; the audit trail as a stream.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import redis

from contracts.alerts import Campaign, Contact, RecipientState
from contracts.escalations import Escalation
from services.alerts.identity import identity_key, new_contact_id, unite
from services.alerts.recipient_states import RANK, merge
from services.common.settings import Settings, deployment_of

PREFIX = "alerts"
RANK_JSON = json.dumps(RANK)
FREEZE_CHUNK = 2000

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


class AlertsStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.deployment = deployment_of(settings.amqp_uri)
        self._claim = client.register_script(_CLAIM)
        self._begin_send = client.register_script(_BEGIN_SEND)
        self._finish_send = client.register_script(_FINISH_SEND)
        self._take_over = client.register_script(_TAKE_OVER)
        self._take_tokens = client.register_script(_TAKE_TOKENS)
        self._freeze_chunk = client.register_script(_FREEZE_CHUNK)

    # -- keys -------------------------------------------------------------------------------
    @staticmethod
    def _k(tenant: str, *parts: str) -> str:
        return ":".join((PREFIX, tenant, *parts))

    def _shared(self, name: str) -> str:
        """Keys that span tenants (the send index, STOP replies to our sender) belong to one
        deployment (see `deployment_of`): no deployment sends another's campaigns."""
        return ":".join((PREFIX, "_", self.deployment, name))

    def _msg(self, tenant: str, campaign_id: str, number: int, *parts: str) -> str:
        return self._k(tenant, "c", campaign_id, f"m{number}", *parts)

    # -- escalations ------------------------------------------------------------------------
    def open_escalation(self, tenant: str, escalation: Escalation) -> bool:
        """Record the escalation unless one already exists for its id. True if it is new."""
        # HSETNX makes the write its own idempotency check: a redelivered event changes nothing.
        added = self.client.hsetnx(
            self._k(tenant, "escalations"), escalation.escalation_id, escalation.model_dump_json()
        )
        return bool(added)

    def rewrite_escalations(
        self,
        tenant: str,
        concerned: Callable[[Escalation], bool],
        rewrite: Callable[[Escalation], Escalation],
    ) -> int:
        """Rewrite the escalations `concerned` picks (an erasure); returns how many."""
        changed = {
            e.escalation_id: rewrite(e).model_dump_json()
            for e in self.escalations(tenant)
            if concerned(e)
        }
        if changed:
            self.client.hset(self._k(tenant, "escalations"), mapping=changed)
        return len(changed)

    def escalations(self, tenant: str) -> list[Escalation]:
        raw = self.client.hvals(self._k(tenant, "escalations"))
        found = [Escalation.model_validate(json.loads(item)) for item in raw]
        return sorted(found, key=lambda e: e.opened_at)

    # -- contacts ---------------------------------------------------------------------------
    def save_contacts(self, tenant: str, contacts: Iterable[Contact]) -> int:
        count = 0
        batch: list[Contact] = []
        for contact in contacts:
            batch.append(contact)
            if len(batch) >= FREEZE_CHUNK:
                count += self._save_batch(tenant, batch)
                batch = []
        return count + (self._save_batch(tenant, batch) if batch else 0)

    def contact_ids_for(self, tenant: str, keys: list[str]) -> dict[str, str]:
        """The contact id of each identity key (see `identity`): the known one, else a new
        random one, reserved with HSETNX so that two imports of the same person agree."""
        index = self._k(tenant, "identities")
        self._index_earlier_contacts(tenant)
        found: dict[str, str] = {}
        for start in range(0, len(keys), FREEZE_CHUNK):
            chunk = keys[start : start + FREEZE_CHUNK]
            known = dict(zip(chunk, self.client.hmget(index, chunk), strict=True))
            missing = [key for key, cid in known.items() if cid is None]
            if missing:
                with self.client.pipeline(transaction=False) as pipe:
                    for key in missing:
                        pipe.hsetnx(index, key, new_contact_id())
                    pipe.execute()
                known.update(zip(missing, self.client.hmget(index, missing), strict=True))
            found.update({key: str(cid) for key, cid in known.items()})
        return found

    def _index_earlier_contacts(self, tenant: str) -> None:
        """Once per tenant: contacts stored before the identity index existed are indexed under
        the ids they have, so that a re-import updates them instead of adding a twin (who would
        get every alert twice)."""
        marker = self._k(tenant, "identities", "built")
        if self.client.exists(marker):
            return
        ids = list(self.all_contact_ids(tenant))
        for start in range(0, len(ids), FREEZE_CHUNK):
            with self.client.pipeline(transaction=False) as pipe:
                for contact in self.contacts(tenant, ids[start : start + FREEZE_CHUNK]):
                    key = identity_key(contact.full_name, contact.commune)
                    pipe.hsetnx(self._k(tenant, "identities"), key, contact.contact_id)
                pipe.execute()
        self.client.set(marker, "1")

    def _save_batch(self, tenant: str, contacts: list[Contact]) -> int:
        # Earlier versions of these contacts: a re-import keeps every number they held, and
        # their old indexes (numbers, commune) are dropped.
        previous = {
            c.contact_id: c for c in self.contacts(tenant, [c.contact_id for c in contacts])
        }
        contacts = [
            unite(previous[c.contact_id], c) if c.contact_id in previous else c for c in contacts
        ]
        with self.client.pipeline(transaction=True) as pipe:
            for old in previous.values():
                self._unindex(pipe, tenant, old)
            for contact in contacts:
                pipe.hset(
                    self._k(tenant, "identities"),
                    identity_key(contact.full_name, contact.commune),
                    contact.contact_id,
                )
                pipe.set(self._k(tenant, "contact", contact.contact_id), contact.model_dump_json())
                pipe.sadd(self._k(tenant, "contacts"), contact.contact_id)
                pipe.sadd(self._k(tenant, "commune", contact.commune), contact.contact_id)
                for phone in contact.phones:
                    pipe.sadd(self._k(tenant, "phone", phone.e164), contact.contact_id)
                if contact.location is not None:
                    pipe.geoadd(
                        self._k(tenant, "geo"),
                        (contact.location.lon, contact.location.lat, contact.contact_id),
                    )
                else:
                    pipe.sadd(self._k(tenant, "unplaced"), contact.contact_id)
            pipe.execute()
        return len(contacts)

    def _unindex(self, pipe: Any, tenant: str, contact: Contact) -> None:
        pipe.srem(self._k(tenant, "commune", contact.commune), contact.contact_id)
        for phone in contact.phones:
            pipe.srem(self._k(tenant, "phone", phone.e164), contact.contact_id)
        pipe.zrem(self._k(tenant, "geo"), contact.contact_id)
        pipe.srem(self._k(tenant, "unplaced"), contact.contact_id)

    def contact(self, tenant: str, contact_id: str) -> Contact | None:
        raw = self.client.get(self._k(tenant, "contact", contact_id))
        return Contact.model_validate_json(raw) if raw else None

    def contacts(self, tenant: str, ids: Iterable[str]) -> list[Contact]:
        keys = [self._k(tenant, "contact", cid) for cid in ids]
        found: list[Contact] = []
        for start in range(0, len(keys), FREEZE_CHUNK):
            for raw in self.client.mget(keys[start : start + FREEZE_CHUNK]):
                if raw:
                    found.append(Contact.model_validate_json(raw))
        return found

    def contact_ids_in_communes(self, tenant: str, communes: Iterable[str]) -> set[str]:
        keys = [self._k(tenant, "commune", code) for code in communes]
        return set(self.client.sunion(keys)) if keys else set()

    def contact_ids_in_box(
        self, tenant: str, west: float, south: float, east: float, north: float
    ) -> list[str]:
        """Contacts placed in (or just around) a lon/lat box, from the GEO index: a cheap first
        cut before the exact point-in-area test."""
        nearest_equator = 0.0 if south <= 0 <= north else min(abs(south), abs(north))
        # Widest where a degree of longitude is longest; 5 % and 100 m of margin.
        width_km = (east - west) * 111.32 * math.cos(math.radians(nearest_equator)) * 1.05 + 0.1
        height_km = (north - south) * 110.57 * 1.05 + 0.1
        found = self.client.geosearch(
            self._k(tenant, "geo"),
            longitude=(west + east) / 2,
            latitude=max(-85.0, min(85.0, (south + north) / 2)),
            width=width_km,
            height=height_km,
            unit="km",
        )
        return [str(cid) for cid in found]

    def unplaced_contact_ids(self, tenant: str) -> set[str]:
        """Contacts without a point on the map (saved since the index exists)."""
        return set(self.client.smembers(self._k(tenant, "unplaced")))

    def all_contact_ids(self, tenant: str) -> Iterator[str]:
        yield from self.client.sscan_iter(self._k(tenant, "contacts"), count=1000)

    def contacts_with_phone(self, tenant: str, e164: str) -> set[str]:
        return set(self.client.smembers(self._k(tenant, "phone", e164)))

    def erase_contact(self, tenant: str, contact_id: str) -> bool:
        contact = self.contact(tenant, contact_id)
        if contact is None:
            return False
        with self.client.pipeline(transaction=True) as pipe:
            self._unindex(pipe, tenant, contact)
            pipe.hdel(
                self._k(tenant, "identities"), identity_key(contact.full_name, contact.commune)
            )
            pipe.delete(self._k(tenant, "contact", contact_id))
            pipe.srem(self._k(tenant, "contacts"), contact_id)
            pipe.delete(self._k(tenant, "contact", contact_id, "history"))
            pipe.execute()
        return True

    def redact_recipients(self, tenant: str, contact: Contact) -> int:
        """Erasure: every recipient state that named this person keeps its outcome (for the
        campaign's report and counts) under a new key, with neither their id nor their number;
        what had not left is cancelled. Returns how many states were redacted."""
        redacted = 0
        for entry in set(self.contact_history(tenant, contact.contact_id)):
            campaign_id, number_text, _channel = entry.rsplit(":", 2)
            number = int(number_text)
            for phone in contact.phones:
                for channel in ("sms", "voice"):
                    key = f"{contact.contact_id}:{phone.e164}:{channel}"
                    if self._redact(tenant, campaign_id, number, key, phone.e164):
                        redacted += 1
        return redacted

    def _redact(self, tenant: str, campaign_id: str, number: int, key: str, e164: str) -> bool:
        old = self._msg(tenant, campaign_id, number, "r", key)
        raw = self.client.get(old)
        if raw is None:
            return False
        if json.loads(raw)["status"] == "pending":
            # Not sent yet: cancelled, so the counts follow; the queue then finds no state.
            self.update_state(tenant, campaign_id, number, key, {"status": "cancelled"})
            raw = self.client.get(old) or raw
        state = json.loads(raw)
        anonymous = f"erased-{secrets.token_hex(6)}"
        state.update(key=anonymous, contact_id="(erased)", e164="")
        if state.get("error"):
            state["error"] = str(state["error"]).replace(e164, "(erased)")
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._msg(tenant, campaign_id, number, "r", anonymous), json.dumps(state))
            pipe.delete(old)
            pipe.lrem(self._msg(tenant, campaign_id, number, "queue"), 0, key)
            pipe.zrem(self._msg(tenant, campaign_id, number, "retry"), key)
            pipe.execute()
        return True

    def contact_history(self, tenant: str, contact_id: str) -> list[str]:
        return list(self.client.lrange(self._k(tenant, "contact", contact_id, "history"), 0, -1))

    # -- opt-out ----------------------------------------------------------------------------
    # A tenant's list holds what the mairie or the person asked; the global list holds STOP
    # replies to our sender, which bind every tenant that uses it.
    def set_opt_out(self, tenant: str, e164: str, source: str) -> None:
        record = json.dumps({"at": datetime.now(UTC).isoformat(), "source": source})
        self.client.hset(self._k(tenant, "optout"), e164, record)

    def clear_opt_out(self, tenant: str, e164: str) -> bool:
        return bool(self.client.hdel(self._k(tenant, "optout"), e164))

    def set_global_opt_out(self, e164: str, opted_out: bool) -> None:
        key = self._shared("optout")
        if opted_out:
            record = json.dumps({"at": datetime.now(UTC).isoformat(), "source": "SMS STOP"})
            self.client.hset(key, e164, record)
        else:
            self.client.hdel(key, e164)

    def is_opted_out(self, tenant: str, e164: str) -> bool:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hexists(self._k(tenant, "optout"), e164)
            pipe.hexists(self._shared("optout"), e164)
            return any(pipe.execute())

    def opted_out(self, tenant: str) -> set[str]:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hkeys(self._k(tenant, "optout"))
            pipe.hkeys(self._shared("optout"))
            own, everyone = pipe.execute()
        return set(own) | set(everyone)

    # -- campaigns --------------------------------------------------------------------------
    def save_campaign(self, campaign: Campaign) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(self._shared("tenants"), campaign.tenant)
            pipe.set(
                self._k(campaign.tenant, "campaign", campaign.campaign_id),
                campaign.model_dump_json(),
            )
            pipe.zadd(
                self._k(campaign.tenant, "campaigns"),
                {campaign.campaign_id: campaign.created_at.timestamp()},
            )
            pipe.execute()

    def change_campaign(
        self, tenant: str, campaign_id: str, expected: set[str], **changes: Any
    ) -> Campaign | None:
        """Change a few fields of the stored campaign if its status is one of `expected`."""

        def change(current: Campaign) -> Campaign | None:
            if current.status not in expected:
                return None
            return current.model_copy(update=changes)

        return self.modify_campaign(tenant, campaign_id, change)

    def modify_campaign(
        self, tenant: str, campaign_id: str, change: Callable[[Campaign], Campaign | None]
    ) -> Campaign | None:
        """Store `change(current)` unless it returns None; None too if there is no campaign.

        Read and written under WATCH (optimistic concurrency): a cancel, a follow-up or the
        engine never clobbers a change another instance saved meanwhile with a copy it read
        earlier; on a conflict `change` runs again on the fresh campaign. `change` may raise.
        """
        key = self._k(tenant, "campaign", campaign_id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    changed = change(Campaign.model_validate_json(raw))
                    if changed is None:
                        pipe.unwatch()
                        return None
                    pipe.multi()
                    pipe.set(key, changed.model_dump_json())
                    pipe.execute()
                    return changed
                except redis.WatchError:
                    continue

    def campaign(self, tenant: str, campaign_id: str) -> Campaign | None:
        raw = self.client.get(self._k(tenant, "campaign", campaign_id))
        return Campaign.model_validate_json(raw) if raw else None

    def campaigns(self, tenant: str, limit: int = 100) -> list[Campaign]:
        ids = self.client.zrevrange(self._k(tenant, "campaigns"), 0, limit - 1)
        keys = [self._k(tenant, "campaign", cid) for cid in ids]
        return [Campaign.model_validate_json(raw) for raw in self.client.mget(keys) if raw]

    # -- retention of recipient logs ---------------------------------------------------------
    def tenants(self) -> list[str]:
        """Every tenant of this deployment that has had a campaign."""
        return sorted(self.client.smembers(self._shared("tenants")))

    def campaigns_created_before(self, tenant: str, cutoff: datetime) -> list[Campaign]:
        """Campaigns created before `cutoff` whose logs are not purged yet."""
        ids = self.client.zrangebyscore(self._k(tenant, "campaigns"), 0, cutoff.timestamp())
        purged = self.client.smembers(self._k(tenant, "logs_purged"))
        keys = [self._k(tenant, "campaign", cid) for cid in ids if cid not in purged]
        found: list[Campaign] = []
        for start in range(0, len(keys), FREEZE_CHUNK):
            chunk = self.client.mget(keys[start : start + FREEZE_CHUNK])
            found += [Campaign.model_validate_json(raw) for raw in chunk if raw]
        return found

    def purge_recipient_logs(self, tenant: str, campaign_id: str, number: int) -> int:
        """Delete one message's recipient states and the matching entries of each contact's
        history; the totals and counts per status stay."""
        purged = 0
        batch: list[RecipientState] = []
        for state in self.states(tenant, campaign_id, number):
            batch.append(state)
            if len(batch) >= FREEZE_CHUNK:
                purged += self._purge(tenant, campaign_id, number, batch)
                batch = []
        purged += self._purge(tenant, campaign_id, number, batch) if batch else 0
        self.client.delete(
            self._msg(tenant, campaign_id, number, "queue"),
            self._msg(tenant, campaign_id, number, "inflight"),
            self._msg(tenant, campaign_id, number, "retry"),
        )
        return purged

    def _purge(
        self, tenant: str, campaign_id: str, number: int, states: list[RecipientState]
    ) -> int:
        with self.client.pipeline(transaction=False) as pipe:
            for state in states:
                pipe.delete(self._msg(tenant, campaign_id, number, "r", state.key))
                pipe.lrem(
                    self._k(tenant, "contact", state.contact_id, "history"),
                    0,
                    f"{campaign_id}:{number}:{state.channel}",
                )
            pipe.execute()
        return len(states)

    def mark_logs_purged(self, tenant: str, campaign_id: str) -> None:
        self.client.sadd(self._k(tenant, "logs_purged"), campaign_id)

    def claim_daily(self, job: str, day: str) -> bool:
        """True for the first instance of the deployment to ask for `job` on `day`."""
        key = self._shared(f"daily:{job}:{day}")
        return bool(self.client.set(key, "1", nx=True, ex=2 * 86400))

    # -- the send queue of one campaign message -------------------------------------------------
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
        for start in range(0, len(states), FREEZE_CHUNK):
            args: list[str] = []
            for state in states[start : start + FREEZE_CHUNK]:
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

    # -- instances: leases and the shared pace ---------------------------------------------
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

    # -- recipient states ---------------------------------------------------------------------
    def state(self, tenant: str, campaign_id: str, number: int, key: str) -> RecipientState | None:
        raw = self.client.get(self._msg(tenant, campaign_id, number, "r", key))
        return RecipientState.model_validate_json(raw) if raw else None

    def states(self, tenant: str, campaign_id: str, number: int) -> Iterator[RecipientState]:
        pattern = self._msg(tenant, campaign_id, number, "r", "*")
        batch: list[str] = []
        for key in self.client.scan_iter(match=pattern, count=2000):
            batch.append(key)
            if len(batch) >= FREEZE_CHUNK:
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
        self, tenant: str, campaign_id: str, number: int, key: str, status: str, sid: str | None
    ) -> None:
        """Record an accepted send and release it from the in-flight list, in one step."""
        self._finish_send(
            keys=[
                self._msg(tenant, campaign_id, number, "r", key),
                self._msg(tenant, campaign_id, number, "counts"),
                self._msg(tenant, campaign_id, number, "inflight"),
            ],
            args=[key, status, sid or "", RANK_JSON, datetime.now(UTC).isoformat()],
        )

    def counts(self, tenant: str, campaign_id: str, number: int) -> tuple[int, dict[str, int]]:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(self._msg(tenant, campaign_id, number, "total"))
            pipe.hgetall(self._msg(tenant, campaign_id, number, "counts"))
            total, counts = pipe.execute()
        return int(total or 0), {k: int(v) for k, v in counts.items() if int(v)}

    # -- vigilance feeds -----------------------------------------------------------------------
    def feed_state(self, tenant: str, kind: str) -> str | None:
        value = self.client.get(self._k(tenant, "feed", kind))
        return str(value) if value is not None else None

    def save_feed_state(self, tenant: str, kind: str, state: str) -> None:
        self.client.set(self._k(tenant, "feed", kind), state)

    def save_reaches(self, tenant: str, reaches: dict[str, str]) -> None:
        """River reaches (id → geometry JSON) from the last Vigicrues documents, for targeting."""
        if reaches:
            self.client.hset(self._k(tenant, "reaches"), mapping=reaches)

    def reach(self, tenant: str, reach_id: str) -> str | None:
        value = self.client.hget(self._k(tenant, "reaches"), reach_id)
        return str(value) if value is not None else None

    def draft_for(self, tenant: str, key: str) -> str | None:
        value = self.client.hget(self._k(tenant, "drafts"), key)
        return str(value) if value is not None else None

    def set_draft_for(self, tenant: str, key: str, campaign_id: str) -> None:
        self.client.hset(self._k(tenant, "drafts"), key, campaign_id)

    # -- audit ------------------------------------------------------------------------------
    def audit(self, tenant: str, actor: str, action: str, **detail: Any) -> None:
        entry = {
            "at": datetime.now(UTC).isoformat(),
            "actor": actor,
            "action": action,
            "detail": json.dumps(detail, default=str),
        }
        self.client.xadd(self._k(tenant, "audit"), entry)

    def audit_trail(self, tenant: str, count: int = 1000) -> list[dict[str, Any]]:
        entries = self.client.xrevrange(self._k(tenant, "audit"), count=count)
        return [
            {**fields, "detail": json.loads(fields["detail"]), "id": entry_id}
            for entry_id, fields in entries
        ]


def now_s() -> float:
    return time.time()
