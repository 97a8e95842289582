"""Sends each queued notice exactly once, with the guarantee campaigns have (sender.py).

Take due notices under a lease; begin each (pending → sending, one round trip); send through the
channel; record the answer. A notice found `sending` after its lease (the instance died between
sending and recording, or the provider did not answer) is first looked up at the provider: found,
it is recorded as sent; not found, it is sent. Transient refusals are retried with backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from services.alerts.channels.twilio import ProviderAnswer, gather_twiml
from services.alerts.delivery_policy import MAX_ATTEMPTS, decide, retry_delay_s
from services.alerts.sender import Channel, callback_url
from services.alerts.welfare.store import WelfareStore

log = logging.getLogger(__name__)


class NoticeSender:
    def __init__(
        self,
        store: WelfareStore,
        channel: Channel,
        public_base_url: str | None,
        *,
        lease_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        receipt_chase_after_s: float = 300.0,
    ) -> None:
        self.store = store
        self.channel = channel
        self.public_base_url = public_base_url
        self.lease_s = lease_s
        self.clock = clock
        self.receipt_chase_after_s = receipt_chase_after_s

    def send_due(self) -> int:
        """Send every notice due now; returns how many left (or were found to have left)."""
        sent = 0
        for tenant, key in self.store.take_due_notices(self.clock(), self.lease_s):
            try:
                sent += self._one(tenant, key)
            except Exception:
                # Left `sending` under its lease: the next taker asks the provider first.
                log.exception("notice %s of %s could not be sent", key, tenant)
        return sent

    def _one(self, tenant: str, key: str) -> int:
        outcome, notice = self.store.begin_notice(tenant, key, self.clock(), self.lease_s)
        if notice is None or outcome not in ("send", "reconcile"):
            return 0
        if outcome == "reconcile":
            sid = self._find(notice)
            if sid is not None:
                self._accepted(tenant, key, sid)
                return 1
        answer = self._send(tenant, notice)
        return self._record(tenant, key, notice, answer)

    def _find(self, notice: dict[str, Any]) -> str | None:
        since = datetime.fromisoformat(notice["claimed_at"]) - timedelta(seconds=5)
        if notice["channel"] == "sms":
            return self.channel.find_sms(notice["to"], notice["text"], since)
        return self.channel.find_call(notice["to"], since)

    def _send(self, tenant: str, notice: dict[str, Any]) -> ProviderAnswer:
        # The provider's status callbacks name the notice (the signature covers the query): the
        # receipt lands on it, and on its case's history (desk.receipt).
        status = callback_url(
            self.public_base_url, "/webhooks/twilio/status", tenant=tenant, notice=notice["key"]
        )
        if notice["channel"] == "sms":
            return self.channel.send_sms(notice["to"], notice["text"], status)
        gather = None
        if notice.get("case_id") is not None:
            gather = callback_url(
                self.public_base_url,
                "/webhooks/twilio/gather",
                tenant=tenant,
                welfare=notice["case_id"],
                contact=notice["contact_index"],
            )
        twiml = gather_twiml(notice["text"], notice.get("prompt") or "", gather)
        return self.channel.place_call(notice["to"], twiml, status)

    def _accepted(self, tenant: str, key: str, sid: str | None) -> None:
        chase_at = time.time() + self.receipt_chase_after_s
        self.store.finish_notice(tenant, key, "accepted", sid, chase_at=chase_at)

    def _record(self, tenant: str, key: str, notice: dict[str, Any], answer: ProviderAnswer) -> int:
        decision = decide(answer.http_status, answer.error_code, answer.message)
        if decision.action == "accepted":
            self._accepted(tenant, key, answer.sid)
            return 1
        attempts = int(notice.get("attempts", 1))
        if decision.action in ("retry", "halt") and attempts < MAX_ATTEMPTS:
            at = self.clock() + retry_delay_s(attempts)
            self.store.retry_notice(
                tenant, key, at, unsure=answer.maybe_sent, error=decision.reason
            )
            return 0
        self.store.finish_notice(tenant, key, "failed", error=decision.reason)
        log.warning("notice %s of %s failed: %s", key, tenant, decision.reason)
        return 0
