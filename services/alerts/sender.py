"""The delivery engine: drains each campaign message's queue through the provider, exactly once.

For every recipient: claim it (queue → in-flight, under this instance's name), mark it `sending`,
wait for the provider's pace (one bucket in Redis for every instance), send, and record the answer
before releasing it. Several instances share the work; each holds a lease in Redis, renewed while
it runs. A recipient left in flight by an instance whose lease expired (kill -9), or by this one
and forgotten (Redis restarted and lost the last writes), is taken over by one live instance,
which asks the provider whether it was accepted (then records it) or not (then queues it again),
so nobody is lost and nobody gets the message twice. Work of a live instance is never touched.

No eventlet here: the caller injects `spawn` and `sleep` (green in the service, plain in tests).
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from contracts.alerts import Campaign, CampaignMessage, RecipientState
from services.alerts.channels.twilio import ProviderAnswer, ProviderStatus, voice_twiml
from services.alerts.delivery_policy import MAX_ATTEMPTS, decide, retry_delay_s
from services.alerts.segments import analyse
from services.alerts.sender_recovery import SenderRecovery
from services.alerts.store import AlertsStore

log = logging.getLogger(__name__)


class Channel(Protocol):
    def send_sms(self, to: str, body: str, status_callback: str | None) -> ProviderAnswer: ...
    def place_call(self, to: str, twiml: str, status_callback: str | None) -> ProviderAnswer: ...
    def find_sms(self, to: str, body: str, sent_after: datetime) -> str | None: ...
    def find_call(self, to: str, started_after: datetime) -> str | None: ...
    def sms_status(self, sid: str) -> ProviderStatus | None: ...
    def call_status(self, sid: str) -> ProviderStatus | None: ...


@dataclass(frozen=True)
class SenderConfig:
    public_base_url: str | None  # where the provider posts status callbacks; None: no callbacks
    sms_segments_per_second: float = 0.0  # the provider's pace for this sender; 0: no limit
    calls_per_second: float = 0.0
    batch: int = 100
    lease_s: float = 10.0  # an instance silent this long is dead: its work is taken over
    # A request begun this long ago has ended (answered or timed out): only then may another
    # instance ask the provider whether it left. An instance starved past its lease (a loaded
    # machine) may still be waiting for that answer; asking earlier would send it twice.
    settle_after_s: float = 15.0
    sms_bucket: str = "sms"  # the provider account's pace is shared by every instance
    # Where status callbacks go when a status receiver of their own takes them
    # (`status_receiver.py`); None: to public_base_url with the other webhooks.
    status_base_url: str | None = None
    # A send with no final status by then (its callback lost, or none asked for): the provider
    # is asked (`receipt_chase.py`).
    receipt_chase_after_s: float = 300.0


@functools.lru_cache(maxsize=64)
def _segments(text: str) -> int:
    """A campaign message is counted once, not once per recipient."""
    return analyse(text).segments


def instance_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def callback_url(base: str | None, path: str, **ids: Any) -> str | None:
    if base is None:
        return None
    return f"{base.rstrip('/')}{path}?{urlencode(ids)}"


class CampaignSender(SenderRecovery):
    def __init__(
        self,
        store: AlertsStore,
        channel: Channel,
        config: SenderConfig,
        *,
        spawn: Callable[..., Any],
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.channel = channel
        self.config = config
        self.spawn = spawn
        self.sleep = sleep
        self.clock = clock
        self.owner = instance_name()
        self._campaigns: dict[tuple[str, str], Campaign] = {}
        self._delivering: set[tuple[str, str, int, str]] = set()  # claimed by this process
        self._lease_renewed = float("-inf")
        self._swept = float("-inf")
        self._redis_run_id: str | None = None
        # After a Redis restart, until then (clock), a recipient found `pending` may have left
        # in the lost second: the provider is asked before it is sent.
        self._ask_first_until = float("-inf")
        self._ask_since: datetime | None = None

    # -- the loop ---------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """Renew this instance's lease; every lease period, take over what the dead left."""
        now = self.clock()
        if now - self._lease_renewed >= self.config.lease_s / 3:
            self.store.renew_lease(self.owner, self.config.lease_s)
            self._lease_renewed = now
            run_id = self.store.server_run_id()
            if self._redis_run_id is not None and run_id != self._redis_run_id:
                log.warning("Redis restarted: reconciling what its last writes may have lost")
                self._swept = float("-inf")
                self._ask_first_until = now + 2 * self.config.lease_s
                self._ask_since = datetime.now(UTC) - timedelta(seconds=self.config.lease_s)
            self._redis_run_id = run_id
        if now - self._swept >= self.config.lease_s:
            self._swept = now
            settled = self.recover()
            if settled:
                log.info("took over %d recipients left in flight", settled)

    def step(self, room: int | None = None) -> int:
        """One pass over every active campaign message; returns how many recipients were
        claimed. `room`: at most that many in all (default: `batch` per message)."""
        self.heartbeat()
        started = 0
        for tenant, campaign_id, number in self.store.active_messages():
            campaign = self._campaign(tenant, campaign_id, refresh=True)
            if campaign is None or campaign.status in {"draft", "halted"}:
                continue  # a draft's recipients are still being frozen
            if number > len(campaign.messages):
                continue  # a follow-up being added: its text is not there yet
            self.store.due_retries(tenant, campaign_id, number, time.time())
            want = self.config.batch if room is None else room - started
            if want <= 0:
                continue
            claimed = self._start(tenant, campaign, number, want)
            started += claimed
            if not claimed and self.store.outstanding(tenant, campaign_id, number) == 0:
                if self._reconcile(tenant, campaign, number):
                    continue
                self.store.deactivate(tenant, campaign_id, number)
                self._maybe_sent(tenant, campaign)
        return started

    def _start(self, tenant: str, campaign: Campaign, number: int, want: int) -> int:
        """Claim up to `want` recipients of one message and start their deliveries."""
        campaign_id = campaign.campaign_id
        keys = self.store.claim(tenant, campaign_id, number, want, self.owner)
        for key in keys:
            self._delivering.add((tenant, campaign_id, number, key))
            self.spawn(self.deliver, tenant, campaign_id, number, key)
        return len(keys)

    def _reconcile(self, tenant: str, campaign: Campaign, number: int) -> int:
        """Before calling a message done: any recipient still `pending` or `sending` that no
        queue holds (Redis restarted and lost a write) goes back through the provider check."""
        cid = campaign.campaign_id
        stray = [
            s for s in self.store.states(tenant, cid, number) if s.status in {"pending", "sending"}
        ]
        for state in stray:
            log.warning("reconciling %s/%s/%s left %s", cid, number, state.key, state.status)
            self._settle(tenant, campaign, number, state.key)
        return len(stray)

    def _chase_at(self) -> float:
        return time.time() + self.config.receipt_chase_after_s

    def _maybe_sent(self, tenant: str, campaign: Campaign) -> None:
        """A campaign whose every message has left is `sent` (receipts may still come)."""
        store = self.store

        def mark_sent(current: Campaign) -> Campaign | None:
            if current.status != "sending":
                return None
            cid = current.campaign_id
            if any(store.outstanding(tenant, cid, m.number) for m in current.messages):
                return None  # a follow-up added meanwhile still has to leave
            return current.model_copy(update={"status": "sent"})

        sent = store.modify_campaign(tenant, campaign.campaign_id, mark_sent)
        if sent is not None:
            self._campaigns[(tenant, campaign.campaign_id)] = sent
            store.audit(tenant, "system", "campaign_left", campaign=campaign.campaign_id)

    def _campaign(self, tenant: str, campaign_id: str, refresh: bool = False) -> Campaign | None:
        cached = self._campaigns.get((tenant, campaign_id))
        if cached is None or refresh:
            cached = self.store.campaign(tenant, campaign_id)
            if cached is not None:
                self._campaigns[(tenant, campaign_id)] = cached
        return cached

    # -- one recipient ----------------------------------------------------------------------
    def deliver(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        try:
            self._deliver(tenant, campaign_id, number, key)
        except Exception:
            log.exception("delivery of %s/%s/%s failed unexpectedly", campaign_id, number, key)
            self._retry_after_error(tenant, campaign_id, number, key)
        finally:
            self._delivering.discard((tenant, campaign_id, number, key))

    def _retry_after_error(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        """Retry this one recipient later, asking the provider first (it may have left); if
        even that fails (Redis gone), it stays in flight and the next sweep settles it."""
        try:
            state = self.store.state(tenant, campaign_id, number, key)
            if state is None or state.status not in {"pending", "sending"}:
                self.store.release(tenant, campaign_id, number, key)
                return
            update: dict[str, Any] = {"status": "pending", "reopen": True, "error": "internal"}
            if state.status == "sending" and state.unsure_since is None:
                since = state.claimed_at or datetime.now(UTC)
                update["unsure_since"] = since.isoformat()
            self.store.update_state(tenant, campaign_id, number, key, update)
            delay = retry_delay_s(state.attempts)
            self.store.schedule_retry(tenant, campaign_id, number, key, time.time() + delay)
        except Exception:
            log.exception("could not schedule the retry of %s/%s/%s", campaign_id, number, key)

    def _deliver(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        found = self._message_for(tenant, campaign_id, number, key)
        if found is None:
            return
        campaign, message = found
        # The pace first, then `begin`: a recipient taken over while this instance waited
        # (stalled past its lease) is then not sent by both.
        self.sleep(self._wait_for_pace(message, key))
        state = self._begin(tenant, campaign, number, key)
        if state is None:
            return
        status_url = self._callback(tenant, campaign_id, number, state, "status")
        if state.channel == "sms":
            answer = self.channel.send_sms(state.e164, message.text, status_url)
        else:
            twiml = self._twiml(tenant, campaign_id, number, state, message)
            answer = self.channel.place_call(state.e164, twiml, status_url)
        self._record(tenant, campaign, number, state, answer)

    def _message_for(
        self, tenant: str, campaign_id: str, number: int, key: str
    ) -> tuple[Campaign, CampaignMessage] | None:
        """The campaign and message to send; None when there is none (gone, cancelled)."""
        campaign = self._campaign(tenant, campaign_id)
        if campaign is not None and number > len(campaign.messages):
            campaign = self._campaign(tenant, campaign_id, refresh=True)  # a new follow-up
        if campaign is None:
            self.store.release(tenant, campaign_id, number, key)
            return None
        if campaign.status == "cancelled":
            self.store.update_state(tenant, campaign_id, number, key, {"status": "cancelled"})
            self.store.release(tenant, campaign_id, number, key)
            return None
        return campaign, campaign.messages[number - 1]

    def _begin(
        self, tenant: str, campaign: Campaign, number: int, key: str
    ) -> RecipientState | None:
        """Mark the recipient `sending`; None when there is nothing to send (another instance
        has it, already handled, opted out, or found accepted after an unsure attempt)."""
        campaign_id = campaign.campaign_id
        outcome, state = self.store.begin_send(tenant, campaign_id, number, key, self.owner)
        if outcome == "not_mine":
            return None  # taken over by a live instance: it is theirs now
        if outcome != "sending" or state is None:
            # Already handled (a redelivery), opted out, or gone: nothing to send.
            self.store.release(tenant, campaign_id, number, key)
            return None
        return self._unless_sent(tenant, campaign, number, state)

    def _unless_sent(
        self, tenant: str, campaign: Campaign, number: int, state: RecipientState
    ) -> RecipientState | None:
        """A recipient just marked `sending`: None if an earlier unanswered attempt turns out
        to have been accepted (recorded now) or the provider cannot tell yet (retried later)."""
        campaign_id, key = campaign.campaign_id, state.key
        unsure_since = state.unsure_since
        if unsure_since is None and self.clock() < self._ask_first_until:
            unsure_since = self._ask_since  # Redis may have lost the record of a send
        if unsure_since is not None:
            # An earlier attempt went unanswered: it may have left. Ask before sending again.
            message = campaign.messages[number - 1]
            try:
                sid = self._find_sent(message, state, unsure_since)
            except Exception as error:  # the provider cannot tell now: ask again later
                answer = ProviderAnswer(http_status=None, message=str(error), maybe_sent=True)
                self._record(tenant, campaign, number, state, answer)
                return None
            if sid is not None:
                self.store.finish_send(
                    tenant, campaign_id, number, key, "accepted", sid, self._chase_at()
                )
                return None
        return state

    def _callback(
        self, tenant: str, campaign_id: str, number: int, state: RecipientState, kind: str
    ) -> str | None:
        base = self.config.public_base_url
        if kind == "status" and base is not None and self.config.status_base_url:
            base = self.config.status_base_url
        return callback_url(
            base,
            f"/webhooks/twilio/{kind}",
            tenant=tenant,
            campaign=campaign_id,
            message=number,
            key=state.key,
        )

    def _twiml(
        self,
        tenant: str,
        campaign_id: str,
        number: int,
        state: RecipientState,
        message: CampaignMessage,
    ) -> str:
        """The call's script; a vulnerable person is asked to press 1."""
        gather = self._callback(tenant, campaign_id, number, state, "gather")
        return voice_twiml(message.voice_text, gather if state.vulnerable else None)

    def _wait_for_pace(self, message: CampaignMessage, key: str) -> float:
        if not key.endswith(":voice"):
            if self.config.sms_segments_per_second <= 0:
                return 0.0  # no pace: no need to count segments for every recipient
            cost = _segments(message.text)
            return self._pace(self.config.sms_bucket, self.config.sms_segments_per_second, cost)
        return self._pace("calls", self.config.calls_per_second, 1)

    def _pace(self, bucket: str, rate: float, cost: float) -> float:
        # Half a second of burst: after a pause the instances cannot jointly exceed the pace.
        return self.store.take_tokens(bucket, rate, max(1.0, rate / 2), cost)

    def _record(
        self,
        tenant: str,
        campaign: Campaign,
        number: int,
        state: RecipientState,
        answer: ProviderAnswer,
    ) -> None:
        cid, key = campaign.campaign_id, state.key
        decision = decide(answer.http_status, answer.error_code, answer.message)
        update: dict[str, Any]
        if decision.action == "accepted":
            self.store.finish_send(
                tenant, cid, number, key, "accepted", answer.sid, self._chase_at()
            )
            return
        if decision.action == "retry" and state.attempts < MAX_ATTEMPTS:
            update = {"status": "pending", "reopen": True, "error": decision.reason}
            if answer.maybe_sent and state.unsure_since is None:
                since = state.claimed_at or datetime.now(UTC)
                update["unsure_since"] = since.isoformat()
            self.store.update_state(tenant, cid, number, key, update)
            delay = retry_delay_s(state.attempts)
            self.store.schedule_retry(tenant, cid, number, key, time.time() + delay)
            return
        elif decision.action == "halt":
            # Every further request would fail the same way: stop, keep the rest queued.
            self.store.update_state(tenant, cid, number, key, {"status": "pending", "reopen": True})
            self.store.requeue(tenant, cid, number, key)
            halted = self.store.change_campaign(
                tenant, cid, {"sending", "sent"}, status="halted", halted_reason=decision.reason
            )
            if halted is not None:
                self._campaigns[(tenant, cid)] = halted
            self.store.audit(
                tenant, "system", "campaign_halted", campaign=cid, reason=decision.reason
            )
            return
        elif decision.action == "opted_out":
            self.store.set_opt_out(tenant, state.e164, "provider 21610")
            update = {"status": "opted_out", "error": decision.reason}
        elif decision.action == "switch_to_voice":
            update = {"status": "failed", "error": decision.reason}
            if "voice" in campaign.request.channels:
                self.queue_call_instead(tenant, cid, number, state)
        else:
            update = {"status": "failed", "error": decision.reason}
        self.store.update_state(tenant, cid, number, key, update)
        self.store.release(tenant, cid, number, key)

    def queue_call_instead(
        self, tenant: str, campaign_id: str, number: int, state: RecipientState
    ) -> bool:
        """An SMS that could not reach its person: call the same number, once (never a person
        erased meanwhile: their state no longer holds a number)."""
        if not state.e164:
            return False
        call = RecipientState(
            key=f"{state.contact_id}:{state.e164}:voice",
            contact_id=state.contact_id,
            e164=state.e164,
            channel="voice",
            status="pending",
            vulnerable=state.vulnerable,
        )
        return self.store.add_recipient(tenant, campaign_id, number, call)

    def _find_sent(
        self, message: CampaignMessage, state: RecipientState, since: datetime
    ) -> str | None:
        """The provider's SID for this message to this number if it accepted one since `since`."""
        since = since - timedelta(seconds=5)  # clocks of two machines
        if state.channel == "sms":
            return self.channel.find_sms(state.e164, message.text, since)
        return self.channel.find_call(state.e164, since)
