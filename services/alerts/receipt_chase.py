"""Receipts that never came: the provider is asked, so no one stays "sent" for ever.

A status callback can be lost (the status receiver down or unreachable for a while, a proxy
dropping it) or never asked for (no public URL for callbacks). Without it a recipient would stay
`accepted` or `sent`: the mayor's report would never say who did not get the alert, and an SMS
that did not arrive would never turn into a call. So every accepted send waits in a schedule
(`stores/receipts.py`); a final status, however it comes, takes it off; what is still there when
its time comes is asked of the provider by its SID, and the answer is applied exactly as its
callback would have been (`callbacks.apply_status`: the call instead of a lost SMS, the recall of
a vulnerable person). Still on its way: asked again, less and less often, until `give_up_s`
after the send. Any instance may ask: each takes its batch under a lease.

The notices (welfare calls to a senior's contacts, the family's SMS, carpool's transactional
SMS) wait in the same schedule (`keys.notice_member`) and their answers go where their callbacks
would (`notice_receipt`): the case's history, the family's receipt event.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, get_args

from nameko.timer import timer

from contracts.alerts import RecipientStatus
from services.alerts.callbacks import apply_status
from services.alerts.channels.twilio import ProviderStatus
from services.alerts.delivery_policy import CALL_FINAL, SMS_FINAL
from services.alerts.dependencies import EngineHandle
from services.alerts.keys import notice_of_member, recipient_of_state_key
from services.alerts.store import AlertsStore
from services.alerts.webhooks import RecipientRef
from services.alerts.welfare.desk import WelfareDesk

log = logging.getLogger(__name__)

CHASE_EVERY_S = 5.0
BATCH = 500  # recipients looked at per pass: most need no question (their status came since)
ASKS_PER_PASS = 100  # questions to the provider per pass; the rest wait for the next pass
LEASE_S = 120.0  # a pass that died: its recipients are due again after this
GAP_GROWTH = 4.0
MAX_GAP_S = 3600.0
RETRY_UNREACHABLE_S = 60.0
# What the provider may still move forward: anything else is not for this chase (a final status,
# or a send being retried, which will wait here again once accepted).
ON_ITS_WAY = frozenset({"accepted", "queued", "sent", "ringing", "in-progress"})
KNOWN_STATUSES = frozenset(get_args(RecipientStatus))


@dataclass(frozen=True)
class ChasePolicy:
    first_after_s: float  # how long after the send the first question is asked
    give_up_s: float  # after this, whatever the provider says, we stop asking


def next_ask_at(sent_at: float, now: float, policy: ChasePolicy) -> float:
    """Gaps grow with the time waited (5, 10, 20 minutes...), to at most four times the first
    wait and never over an hour. Pure."""
    waited = max(now - sent_at, policy.first_after_s)
    return now + min(waited, GAP_GROWTH * policy.first_after_s, MAX_GAP_S)


def callback_params(channel: str, sid: str, answer: ProviderStatus) -> dict[str, str]:
    """The provider's answer as the status callback would have carried it. Pure."""
    if channel == "sms":
        return {
            "MessageSid": sid,
            "MessageStatus": answer.status,
            "ErrorCode": answer.error_code or "",
        }
    return {"CallSid": sid, "CallStatus": answer.status}


@dataclass(frozen=True)
class Awaited:
    """A send whose final status is awaited: what to ask, and where the answer goes."""

    member: str  # in the schedule: a recipient's state key, or `notice_member`
    channel: str  # sms | voice
    sid: str
    sent_at: float
    apply: Callable[[dict[str, str]], object]  # the answer, as its callback would have come
    statuses: frozenset[str] | None = None  # the statuses it can take; None: any


@dataclass
class ChaseTally:
    looked_at: int = 0
    asked: int = 0
    settled: int = 0  # a final status learnt from the provider
    given_up: int = 0


class Notices(Protocol):
    """The welfare desk's side: a notice as stored, and its receipt applied."""

    def notice(self, tenant: str, key: str) -> dict[str, Any] | None: ...
    def apply_receipt(self, tenant: str, key: str, params: dict[str, str]) -> object: ...


def chase_receipts(
    store: AlertsStore,
    engine: EngineHandle,
    policy: ChasePolicy,
    now: float,
    notices: Notices | None = None,
) -> ChaseTally:
    """One pass over the sends whose time to ask has come: campaign recipients, and the
    notices (welfare calls, family and transactional SMS) when `notices` is given."""
    tally = ChaseTally()
    members = store.take_due_receipts(now, LEASE_S, BATCH)
    awaited, nothing_to_ask = _awaited(store, engine, notices, members, now)
    tally.looked_at = len(members)
    for item in awaited:
        if now - item.sent_at >= policy.give_up_s:
            waited = now - item.sent_at
            log.warning("no final status for %s after %.0f s: asked no more", item.member, waited)
            tally.given_up += 1
            nothing_to_ask.append(item.member)
        elif tally.asked >= ASKS_PER_PASS:
            store.chase_receipt_at(item.member, now + CHASE_EVERY_S)
        else:
            tally.asked += 1
            if _ask(store, engine, item, now, next_ask_at(item.sent_at, now, policy)):
                tally.settled += 1
    store.stop_chasing(nothing_to_ask)
    return tally


def _awaited(
    store: AlertsStore,
    engine: EngineHandle,
    notices: Notices | None,
    members: list[str],
    now: float,
) -> tuple[list[Awaited], list[str]]:
    """What to ask of the provider among `members`, and the members with nothing to ask (erased,
    settled meanwhile, or being sent again: it will wait here again once accepted)."""
    awaited: list[Awaited] = []
    nothing: list[str] = []
    state_keys = [m for m in members if recipient_of_state_key(m) is not None]
    for state_key, state in zip(state_keys, store.states_at(state_keys), strict=True):
        ref = RecipientRef(*recipient_of_state_key(state_key))  # type: ignore[misc]
        if state is None or state.status not in ON_ITS_WAY or not state.sid:
            nothing.append(state_key)
            continue
        awaited.append(Awaited(
            state_key, state.channel, state.sid, _epoch(state.claimed_at or state.updated_at, now),
            functools.partial(_apply_to_recipient, store, engine, ref), KNOWN_STATUSES,
        ))  # fmt: skip
    for member in members:
        found = notice_of_member(member)
        if found is None:
            if recipient_of_state_key(member) is None:
                nothing.append(member)  # not ours to read
            continue
        notice = notices.notice(*found) if notices is not None else None
        if notice is None or notice.get("status") != "accepted" or not notice.get("sid"):
            nothing.append(member)
            continue
        claimed = notice.get("claimed_at")
        sent_at = _epoch(datetime.fromisoformat(claimed) if claimed else None, now)
        apply = functools.partial(notices.apply_receipt, *found)  # type: ignore[union-attr]
        awaited.append(Awaited(member, notice["channel"], notice["sid"], sent_at, apply))
    return awaited, nothing


def _epoch(moment: datetime | None, default: float) -> float:
    return moment.timestamp() if moment is not None else default


def _apply_to_recipient(
    store: AlertsStore, engine: EngineHandle, ref: RecipientRef, params: dict[str, str]
) -> None:
    settings = engine.settings
    apply_status(
        store, engine.sender, ref, params,
        max_calls=settings.max_calls, recall_after_s=settings.recall_after_s,
    )  # fmt: skip


def _ask(
    store: AlertsStore, engine: EngineHandle, item: Awaited, now: float, ask_again_at: float
) -> bool:
    """Ask the provider of one send and apply its answer; True when that answer is final."""
    channel = engine.sender.channel
    answer = (
        channel.sms_status(item.sid) if item.channel == "sms" else channel.call_status(item.sid)
    )
    if answer is None:
        store.chase_receipt_at(item.member, now + RETRY_UNREACHABLE_S)
        return False
    if answer.status == "unknown" or (
        item.statuses is not None and answer.status not in item.statuses
    ):
        log.warning("the provider says %r of %s: asked no more", answer.status, item.member)
        store.stop_chasing([item.member])
        return False
    final = answer.status in SMS_FINAL | CALL_FINAL
    if final:
        # Off first: what the answer starts (a call instead of the SMS) waits here on its own.
        store.stop_chasing([item.member])
    try:
        item.apply(callback_params(item.channel, item.sid, answer))
    except Exception:
        store.chase_receipt_at(item.member, now + RETRY_UNREACHABLE_S)
        raise
    if not final:
        store.chase_receipt_at(item.member, ask_again_at)
    return final


class ReceiptChase:
    """Mixed into `AlertsService`: the pass, every few seconds, on every instance."""

    store: AlertsStore
    engine: EngineHandle
    welfare: WelfareDesk
    notice_receipt: Callable[[str, str, dict[str, str]], dict[str, Any]]

    @timer(interval=CHASE_EVERY_S)
    def chase_missing_receipts(self) -> None:
        settings = self.engine.settings
        policy = ChasePolicy(settings.receipt_chase_after_s, settings.receipt_give_up_s)
        desk = _DeskNotices(self.welfare, self.notice_receipt)
        tally = chase_receipts(self.store, self.engine, policy, time.time(), desk)
        if tally.asked:
            log.info(
                "asked the provider of %d sends with no final status: %d settled, %d given up",
                tally.asked, tally.settled, tally.given_up,
            )  # fmt: skip


@dataclass(frozen=True)
class _DeskNotices:
    desk: WelfareDesk
    receipt: Callable[[str, str, dict[str, str]], dict[str, Any]]  # the service's, as callbacks

    def notice(self, tenant: str, key: str) -> dict[str, Any] | None:
        return self.desk.store.notice(tenant, key)

    def apply_receipt(self, tenant: str, key: str, params: dict[str, str]) -> object:
        return self.receipt(tenant, key, params)
