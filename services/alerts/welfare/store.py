"""Welfare cases and one-off notices in Redis, over the alerts service's connection.

Per tenant (`alerts:<tenant>:welfare:`): each case as JSON, an index of open cases and of all
cases; each notice (an SMS or call named by its business key) with its send state. Per deployment
(`alerts:_:<deployment>:`): the clock of due case steps and the queue of notices to send, both
sorted sets scored by due time, and the outbox of events.

A case changes under optimistic locking (WATCH the case, write case + its notices + its event in
one MULTI/EXEC), so two instances or an API call racing the timer never lose a step, and a step's
notices and event exist exactly when the step does. Taking due work pushes its score forward by a
lease: an instance that dies holding it leaves it due again once the lease has passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import redis

from contracts.welfare import WelfareCase
from services.alerts.delivery_policy import CALL_FINAL, SMS_FINAL
from services.alerts.keys import notice_member, receipts_due_key
from services.alerts.stores.base import TAKE_DUE
from services.alerts.welfare.case import CaseChange, in_time_order
from services.alerts.welfare.erasure import erased_case
from services.alerts.welfare.notices import Notice
from services.common import outbox
from services.common.settings import Settings, deployment_of

PREFIX = "alerts"
TAKER_TTL_S = 3 * 24 * 3600

# Begin sending a notice, in one round trip. An SMS to an opted-out number: `opted_out`, never
# sent. pending: it becomes `sending` (leased until ARGV[2])
# and is sent. sending past its lease: an earlier attempt may have left, so ask the provider
# (reconcile). sending within its lease: another instance is on it (busy). Final: drop it.
_BEGIN = """
local raw = redis.call('GET', KEYS[1])
if not raw then redis.call('ZREM', KEYS[2], ARGV[3]); return {'missing', ''} end
local notice = cjson.decode(raw)
local status = notice['status']
if status == 'accepted' or status == 'failed' or status == 'opted_out' then
  redis.call('ZREM', KEYS[2], ARGV[3]); return {'done', raw}
end
if status == 'pending' and notice['channel'] == 'sms' and (
    redis.call('HEXISTS', KEYS[3], notice['to']) == 1
    or redis.call('HEXISTS', KEYS[4], notice['to']) == 1) then
  -- STOP to our sender (or the mairie's list): no SMS; a welfare call still rings.
  notice['status'] = 'opted_out'
  local stopped = cjson.encode(notice)
  redis.call('SET', KEYS[1], stopped)
  redis.call('ZREM', KEYS[2], ARGV[3])
  return {'opted_out', stopped}
end
local outcome = 'send'
if status == 'sending' then
  if tonumber(notice['lease_until']) > tonumber(ARGV[1]) then return {'busy', raw} end
  outcome = 'reconcile'
else
  notice['claimed_at'] = ARGV[4]
end
notice['status'] = 'sending'
notice['attempts'] = (notice['attempts'] or 0) + 1
notice['lease_until'] = tonumber(ARGV[2])
local encoded = cjson.encode(notice)
redis.call('SET', KEYS[1], encoded)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return {outcome, encoded}
"""


class WelfareStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.shared = ":".join((PREFIX, "_", deployment_of(settings.amqp_uri)))
        self.outbox_prefix = self.shared
        self.receipts_due = receipts_due_key(deployment_of(settings.amqp_uri))
        self._take_due = client.register_script(TAKE_DUE)
        self._begin = client.register_script(_BEGIN)

    # -- keys -------------------------------------------------------------------------------
    @staticmethod
    def _k(tenant: str, *parts: str) -> str:
        return ":".join((PREFIX, tenant, "welfare", *parts))

    @property
    def _due_cases(self) -> str:
        return f"{self.shared}:welfare:due"

    @property
    def _due_notices(self) -> str:
        return f"{self.shared}:notices:due"

    def _notice_key(self, tenant: str, key: str) -> str:
        return ":".join((PREFIX, tenant, "notice", key))

    # -- cases ------------------------------------------------------------------------------
    def case(self, tenant: str, case_id: str) -> WelfareCase | None:
        raw = self.client.get(self._k(tenant, "case", case_id))
        return None if raw is None else WelfareCase.model_validate_json(raw)

    def cases(self, tenant: str, *, open_only: bool) -> list[WelfareCase]:
        index = self._k(tenant, "open" if open_only else "all")
        ids: list[str] = self.client.zrange(index, 0, -1)  # type: ignore[assignment]
        raw = self.client.mget([self._k(tenant, "case", i) for i in ids]) if ids else []
        return [WelfareCase.model_validate_json(r) for r in raw if r is not None]

    def change_case(
        self,
        tenant: str,
        case_id: str,
        decide: Callable[[WelfareCase | None], CaseChange | None],
        events: Callable[[CaseChange], Iterable[tuple[str, dict[str, Any]]]],
        next_due: Callable[[WelfareCase], datetime | None],
    ) -> CaseChange | None:
        """Apply `decide` to the case as it is now and store the result with its notices and
        events in one transaction; retried when someone else changed the case meanwhile.
        `decide` returns None to change nothing."""
        key = self._k(tenant, "case", case_id)
        member = f"{tenant}|{case_id}"
        while True:
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = None if raw is None else WelfareCase.model_validate_json(raw)
                    change = decide(current)
                    if change is None or (change.case == current and not change.notices):
                        pipe.unwatch()
                        if current is not None:
                            self._reschedule(tenant, current, next_due(current))
                        return change
                    case = in_time_order(change.case)
                    pipe.multi()
                    pipe.set(key, case.model_dump_json())
                    opened = case.opened_at.timestamp()
                    pipe.zadd(self._k(tenant, "all"), {case_id: opened})
                    if case.status == "closed":
                        pipe.zrem(self._k(tenant, "open"), case_id)
                    else:
                        pipe.zadd(self._k(tenant, "open"), {case_id: opened})
                    due = next_due(case)
                    if due is None:
                        pipe.zrem(self._due_cases, member)
                    else:
                        pipe.zadd(self._due_cases, {member: due.timestamp()})
                    self._queue_notices(pipe, tenant, change.notices, case.opened_at)
                    if change.taker_phone is not None:
                        # Inbound SMS name no tenant: the phone leads to the case it took.
                        pipe.set(self._taker(change.taker_phone), member, ex=TAKER_TTL_S)
                    for event_type, body in events(change):
                        outbox.append(pipe, self.outbox_prefix, event_type, body)
                    pipe.execute()
                    return change
                except redis.WatchError:
                    continue

    def erase_senior(self, tenant: str, senior_id: str, now: datetime) -> set[str]:
        """Rewrite every case of the senior without them (RGPD) and drop its calls' and texts'
        records (numbers and texts); returns the cases' delivery ids."""
        deliveries: set[str] = set()
        for case in self.cases(tenant, open_only=False):
            if case.senior_id != senior_id:
                continue
            deliveries.add(case.delivery_id)
            with self.client.pipeline(transaction=True) as pipe:
                pipe.set(
                    self._k(tenant, "case", case.case_id), erased_case(case, now).model_dump_json()
                )
                pipe.zrem(self._k(tenant, "open"), case.case_id)
                pipe.zrem(self._due_cases, f"{tenant}|{case.case_id}")
                for index in range(len(case.contacts)):
                    for channel in ("voice", "sms"):
                        key = f"{case.case_id}:{index}:{channel}"
                        pipe.delete(self._notice_key(tenant, key), self._receipts_key(tenant, key))
                pipe.execute()
        return deliveries

    def _reschedule(self, tenant: str, case: WelfareCase, due: datetime | None) -> None:
        """Give back a leased step that turned out not to be due (clocks of two machines)."""
        member = f"{tenant}|{case.case_id}"
        if due is None:
            self.client.zrem(self._due_cases, member)
        else:
            self.client.zadd(self._due_cases, {member: due.timestamp()})

    def _taker(self, phone: str) -> str:
        return f"{self.shared}:welfare:taker:{phone}"

    def case_taken_by(self, phone: str) -> tuple[str, str] | None:
        """(tenant, case id) of the last case this phone took by keypress, for a few days."""
        member = self.client.get(self._taker(phone))
        if member is None:
            return None
        tenant, case_id = str(member).split("|", 1)
        return tenant, case_id

    def take_due_cases(self, now: float, lease_s: float, batch: int = 50) -> list[tuple[str, str]]:
        members = self._take_due(keys=[self._due_cases], args=[now, now + lease_s, batch])
        return [tuple(m.split("|", 1)) for m in members]  # type: ignore[misc]

    # -- notices ----------------------------------------------------------------------------
    def _queue_notices(
        self, pipe: Any, tenant: str, notices: Iterable[Notice], at: datetime
    ) -> None:
        for notice in notices:
            state = {
                "key": notice.key,
                "to": notice.to,
                "channel": notice.channel,
                "text": notice.text,
                "prompt": notice.prompt,
                "case_id": notice.case_id,
                "contact_index": notice.contact_index,
                "status": "pending",
                "attempts": 0,
                "queued_at": datetime.now(UTC).isoformat(),
            }
            # NX: a key already queued (sent, or being sent) is never queued again.
            pipe.set(self._notice_key(tenant, notice.key), json.dumps(state), nx=True)
            pipe.zadd(self._due_notices, {f"{tenant}|{notice.key}": at.timestamp()}, nx=True)

    def queue_notices(self, tenant: str, notices: Iterable[Notice]) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            self._queue_notices(pipe, tenant, notices, datetime.now(UTC))
            pipe.execute()

    def take_due_notices(
        self, now: float, lease_s: float, batch: int = 50
    ) -> list[tuple[str, str]]:
        members = self._take_due(keys=[self._due_notices], args=[now, now + lease_s, batch])
        return [tuple(m.split("|", 1)) for m in members]  # type: ignore[misc]

    def begin_notice(
        self, tenant: str, key: str, now: float, lease_s: float
    ) -> tuple[str, dict[str, Any] | None]:
        outcome, raw = self._begin(
            keys=[
                self._notice_key(tenant, key),
                self._due_notices,
                # The opt-out lists the campaigns honour (services/alerts/store.py).
                ":".join((PREFIX, tenant, "optout")),
                f"{self.shared}:optout",
            ],
            args=[now, now + lease_s, f"{tenant}|{key}", datetime.now(UTC).isoformat()],
        )
        return str(outcome), (json.loads(raw) if raw else None)

    def finish_notice(
        self,
        tenant: str,
        key: str,
        status: str,
        sid: str | None = None,
        error: str | None = None,
        chase_at: float | None = None,
    ) -> None:
        """Record how a send ended; an accepted one waits for its final receipt, and the
        provider is asked at `chase_at` if none has come (`receipt_chase.py`)."""
        self._update_notice(tenant, key, status=status, sid=sid, error=error)
        self.client.zrem(self._due_notices, f"{tenant}|{key}")
        if status == "accepted" and sid and chase_at is not None:
            self.client.zadd(self.receipts_due, {notice_member(tenant, key): chase_at})

    def retry_notice(self, tenant: str, key: str, at: float, *, unsure: bool, error: str) -> None:
        """Send again at `at`; `unsure`: the last attempt may have left, so ask first."""
        if unsure:
            # Stays `sending` with its lease ending at `at`: the next taker reconciles.
            self._update_notice(tenant, key, lease_until=at, error=error)
        else:
            self._update_notice(tenant, key, status="pending", error=error)
        self.client.zadd(self._due_notices, {f"{tenant}|{key}": at})

    def _update_notice(self, tenant: str, key: str, **fields: Any) -> None:
        name = self._notice_key(tenant, key)
        raw = self.client.get(name)
        if raw is None:
            return
        state = json.loads(raw)
        state.update({k: v for k, v in fields.items() if v is not None or k == "error"})
        state["updated_at"] = datetime.now(UTC).isoformat()
        self.client.set(name, json.dumps(state))

    def _receipts_key(self, tenant: str, key: str) -> str:
        return f"{self._notice_key(tenant, key)}:receipts"

    def record_receipt(
        self,
        tenant: str,
        key: str,
        status: str,
        receipt: dict[str, Any],
        keep_s: float,
        events: Iterable[tuple[str, dict[str, Any]]] = (),
    ) -> bool:
        """The provider's status of a notice, once per status (it repeats its callbacks), with
        the events it publishes, in one transaction: True when it is new. Kept beside the
        notice, apart from its send state (no lost update)."""
        name = self._receipts_key(tenant, key)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(name)
                    if pipe.hexists(name, status):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.hset(name, status, json.dumps(receipt))
                    pipe.expire(name, int(keep_s))
                    if status in SMS_FINAL | CALL_FINAL:  # nothing more to ask the provider
                        pipe.zrem(self.receipts_due, notice_member(tenant, key))
                    for event_type, body in events:
                        outbox.append(pipe, self.outbox_prefix, event_type, body)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def receipts(self, tenant: str, key: str) -> dict[str, dict[str, Any]]:
        raw = self.client.hgetall(self._receipts_key(tenant, key))
        return {k: json.loads(v) for k, v in raw.items()}

    def notice(self, tenant: str, key: str) -> dict[str, Any] | None:
        raw = self.client.get(self._notice_key(tenant, key))
        return None if raw is None else dict(json.loads(raw))
