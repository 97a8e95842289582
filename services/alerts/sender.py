"""The delivery engine: drains each campaign message's queue through the provider, exactly once.

For every recipient: claim it (queue → in-flight), mark it `sending`, wait for the provider's pace,
send, and record the answer before releasing it. A crash can leave recipients in flight; on start
`recover` asks the provider whether each `sending` one was accepted (then records it) or not (then
queues it again), so nobody is lost and nobody gets the message twice.

No eventlet here: the caller injects `spawn` and `sleep` (green in the service, plain in tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from contracts.alerts import Campaign, CampaignMessage, RecipientState
from services.alerts.channels.twilio import ProviderAnswer, voice_twiml
from services.alerts.delivery_policy import MAX_ATTEMPTS, decide, retry_delay_s
from services.alerts.rate import TokenBucket
from services.alerts.recipient_states import is_final
from services.alerts.segments import analyse
from services.alerts.store import AlertsStore

log = logging.getLogger(__name__)


class Channel(Protocol):
    def send_sms(self, to: str, body: str, status_callback: str | None) -> ProviderAnswer: ...
    def place_call(self, to: str, twiml: str, status_callback: str | None) -> ProviderAnswer: ...
    def find_sms(self, to: str, body: str, sent_after: datetime) -> str | None: ...
    def find_call(self, to: str, started_after: datetime) -> str | None: ...


@dataclass(frozen=True)
class SenderConfig:
    public_base_url: str | None  # where the provider posts status callbacks; None: no callbacks
    sms_segments_per_second: float = 0.0  # the provider's pace for this sender; 0: no limit
    calls_per_second: float = 0.0
    batch: int = 100


def callback_url(base: str | None, path: str, **ids: Any) -> str | None:
    if base is None:
        return None
    return f"{base.rstrip('/')}{path}?{urlencode(ids)}"


class CampaignSender:
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
        self.sms_bucket = TokenBucket(config.sms_segments_per_second)
        self.call_bucket = TokenBucket(config.calls_per_second)
        self._campaigns: dict[tuple[str, str], Campaign] = {}

    # -- the loop ---------------------------------------------------------------------------
    def step(self) -> int:
        """One pass over every active campaign message; returns how many sends were started."""
        started = 0
        for tenant, campaign_id, number in self.store.active_messages():
            campaign = self._campaign(tenant, campaign_id, refresh=True)
            if campaign is None or campaign.status == "halted":
                continue
            self.store.due_retries(tenant, campaign_id, number, time.time())
            keys = self.store.claim(tenant, campaign_id, number, self.config.batch)
            for key in keys:
                self.spawn(self.deliver, tenant, campaign_id, number, key)
            started += len(keys)
            if not keys and self.store.outstanding(tenant, campaign_id, number) == 0:
                self.store.deactivate(tenant, campaign_id, number)
                self._maybe_sent(tenant, campaign)
        return started

    def _maybe_sent(self, tenant: str, campaign: Campaign) -> None:
        """A campaign whose every message has left is `sent` (receipts may still come)."""
        if campaign.status != "sending":
            return
        cid = campaign.campaign_id
        if any(self.store.outstanding(tenant, cid, m.number) for m in campaign.messages):
            return
        sent = self.store.change_campaign(tenant, cid, {"sending"}, status="sent")
        if sent is not None and len(sent.messages) == len(campaign.messages):
            self._campaigns[(tenant, cid)] = sent
            self.store.audit(tenant, "system", "campaign_left", campaign=cid)
        elif sent is not None:
            # A follow-up was added meanwhile: it still has to leave.
            self.store.change_campaign(tenant, cid, {"sent"}, status="sending")

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
            # Leave it in flight: `recover` settles it with the provider, never blindly resends.
            log.exception("delivery of %s/%s/%s failed unexpectedly", campaign_id, number, key)

    def _deliver(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        campaign = self._campaign(tenant, campaign_id)
        if campaign is not None and number > len(campaign.messages):
            campaign = self._campaign(tenant, campaign_id, refresh=True)  # a new follow-up
        if campaign is None:
            self.store.release(tenant, campaign_id, number, key)
            return
        if campaign.status == "cancelled":
            self.store.update_state(tenant, campaign_id, number, key, {"status": "cancelled"})
            self.store.release(tenant, campaign_id, number, key)
            return
        outcome, state = self.store.begin_send(tenant, campaign_id, number, key)
        if outcome != "sending" or state is None:
            # Already handled (a redelivery), opted out, or gone: nothing to send.
            self.store.release(tenant, campaign_id, number, key)
            return
        message = campaign.messages[number - 1]
        if state.unsure_since is not None:
            # An earlier attempt went unanswered: it may have left. Ask before sending again.
            try:
                sid = self._find_sent(message, state, state.unsure_since)
            except Exception as error:  # the provider cannot tell now: ask again later
                answer = ProviderAnswer(http_status=None, message=str(error), maybe_sent=True)
                self._record(tenant, campaign, number, state, answer)
                return
            if sid is not None:
                self.store.finish_send(tenant, campaign_id, number, key, "accepted", sid)
                return
        answer = self._send(tenant, campaign, message, state)
        self._record(tenant, campaign, number, state, answer)

    def _send(
        self, tenant: str, campaign: Campaign, message: CampaignMessage, state: RecipientState
    ) -> ProviderAnswer:
        ids = {"tenant": tenant, "campaign": campaign.campaign_id, "message": message.number}
        status_url = callback_url(
            self.config.public_base_url, "/webhooks/twilio/status", **ids, key=state.key
        )
        if state.channel == "sms":
            cost = analyse(message.text).segments
            self.sleep(self.sms_bucket.wait_time(cost, self.clock()))
            return self.channel.send_sms(state.e164, message.text, status_url)
        gather_url = (
            callback_url(
                self.config.public_base_url, "/webhooks/twilio/gather", **ids, key=state.key
            )
            if state.vulnerable
            else None
        )
        self.sleep(self.call_bucket.wait_time(1, self.clock()))
        return self.channel.place_call(
            state.e164, voice_twiml(message.voice_text, gather_url), status_url
        )

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
            self.store.finish_send(tenant, cid, number, key, "accepted", answer.sid)
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
        """An SMS that could not reach its person: call the same number, once."""
        call = RecipientState(
            key=f"{state.contact_id}:{state.e164}:voice",
            contact_id=state.contact_id,
            e164=state.e164,
            channel="voice",
            status="pending",
            vulnerable=state.vulnerable,
        )
        return self.store.add_recipient(tenant, campaign_id, number, call)

    # -- after a crash ----------------------------------------------------------------------
    def recover(self) -> int:
        """Settle every recipient left in flight by a previous run; returns how many."""
        settled = 0
        for tenant, campaign_id, number in self.store.active_messages():
            campaign = self._campaign(tenant, campaign_id, refresh=True)
            if campaign is None:
                continue
            for key in self.store.inflight(tenant, campaign_id, number):
                self._settle(tenant, campaign, number, key)
                settled += 1
        return settled

    def _settle(self, tenant: str, campaign: Campaign, number: int, key: str) -> None:
        cid = campaign.campaign_id
        state = self.store.state(tenant, cid, number, key)
        if state is None or is_final(state.status) or state.status not in {"pending", "sending"}:
            self.store.release(tenant, cid, number, key)
            return
        if state.status == "pending":
            self.store.requeue(tenant, cid, number, key)
            return
        # `sending`: the request may or may not have reached the provider. Ask it.
        claimed = state.unsure_since or state.claimed_at or state.updated_at or datetime.now(UTC)
        sid = self._find_sent(campaign.messages[number - 1], state, claimed)
        if sid is not None:
            self.store.update_state(tenant, cid, number, key, {"status": "accepted", "sid": sid})
            self.store.release(tenant, cid, number, key)
        else:
            self.store.update_state(tenant, cid, number, key, {"status": "pending", "reopen": True})
            self.store.requeue(tenant, cid, number, key)

    def _find_sent(
        self, message: CampaignMessage, state: RecipientState, since: datetime
    ) -> str | None:
        """The provider's SID for this message to this number if it accepted one since `since`."""
        since = since - timedelta(seconds=5)  # clocks of two machines
        if state.channel == "sms":
            return self.channel.find_sms(state.e164, message.text, since)
        return self.channel.find_call(state.e164, since)
