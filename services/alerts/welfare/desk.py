"""The welfare desk: the use cases of the welfare check and the family SMS, over the store and the
notice sender. No nameko here: the service's entrypoints call these, the timer calls `tick`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from contracts.deliveries import DeliveryFailed
from contracts.meals_events import DeliveryCompleted, DeliveryEtaUpdated
from contracts.welfare import (
    WelfareCase,
    WelfareCheckClosed,
    WelfareCheckOpened,
    WelfareCheckUpdated,
    WelfareOutcome,
)
from services.alerts.welfare import case as cases
from services.alerts.welfare.case import CaseChange, CaseConflict, WelfareTiming
from services.alerts.welfare.family import (
    approaching_notices,
    delivered_key,
    delivered_notices,
    final_receipt,
)
from services.alerts.welfare.sends import NoticeSender
from services.alerts.welfare.settings import WelfareSettings
from services.alerts.welfare.store import WelfareStore
from services.common.events import make_message

log = logging.getLogger(__name__)


class CaseNotFound(LookupError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def case_events(tenant: str, change: CaseChange) -> Iterable[tuple[str, dict[str, Any]]]:
    case = change.case
    if change.opened:
        opened = WelfareCheckOpened(
            case_id=case.case_id, delivery_id=case.delivery_id, senior_id=case.senior_id,
            commune=case.commune, day=case.day, opened_at=case.opened_at,
            contacts=len(case.contacts),
        )  # fmt: skip
        yield "welfare_check_opened", make_message(opened, tenant=tenant)
    elif change.steps and not change.closed:
        # Every other step too, so that live pages follow a case without polling it.
        updated = WelfareCheckUpdated(
            case_id=case.case_id, delivery_id=case.delivery_id, senior_id=case.senior_id,
            commune=case.commune, day=case.day, status=case.status,
            steps=tuple(s.kind for s in change.steps), at=change.steps[-1].at,
        )  # fmt: skip
        yield "welfare_check_updated", make_message(updated, tenant=tenant)
    if change.closed and case.closed_at is not None:
        closed = WelfareCheckClosed(
            case_id=case.case_id, delivery_id=case.delivery_id, senior_id=case.senior_id,
            commune=case.commune, day=case.day, closed_at=case.closed_at,
            closed_by=case.history[-1].actor or "system", outcome=case.outcome,
        )  # fmt: skip
        yield "welfare_check_closed", make_message(closed, tenant=tenant)


def family_receipt_events(
    tenant: str, key: str, status: str, error: str | None, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """`message_delivered` / `message_undelivered` for a family SMS's final status (routing
    writes it into the senior's history); nothing for any other notice or status."""
    found = final_receipt(key, status, error, now)
    if found is None:
        return []
    event_type = "message_delivered" if found.status == "delivered" else "message_undelivered"
    return [(event_type, make_message(found, tenant=tenant))]


class WelfareDesk:
    def __init__(
        self,
        store: WelfareStore,
        sender: NoticeSender,
        settings: WelfareSettings,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.sender = sender
        self.settings = settings
        self.timing = WelfareTiming(settings.ack_delay_s, settings.help_after_s)
        self.clock = clock

    def _change(
        self, tenant: str, case_id: str, decide: Callable[[WelfareCase | None], CaseChange | None]
    ) -> CaseChange | None:
        return self.store.change_case(
            tenant, case_id, decide, lambda change: case_events(tenant, change), cases.next_due
        )

    # -- the door -----------------------------------------------------------------------------
    def open_for(self, tenant: str, event: DeliveryFailed) -> CaseChange | None:
        """Open the day's case for this door, unless there is one (a redelivery, a second
        report): then nothing happens, and nobody is called twice."""
        if not cases.opens_a_case(event):
            return None
        now = self.clock()

        def decide(current: WelfareCase | None) -> CaseChange | None:
            return None if current is not None else cases.open_case(event, now, self.timing)

        return self._change(tenant, cases.case_id_for(event), decide)

    def tick(self) -> int:
        """Take the steps that are due (under a lease), then send what they queued."""
        now = self.clock()
        for tenant, case_id in self.store.take_due_cases(now.timestamp(), self.settings.lease_s):

            def decide(current: WelfareCase | None, now: datetime = now) -> CaseChange | None:
                return None if current is None else cases.advance(current, now, self.timing)

            try:
                self._change(tenant, case_id, decide)
            except Exception:
                # One bad case must not hold up the others; its lease brings it back later.
                log.exception("welfare case %s of %s could not move on", case_id, tenant)
        return self.sender.send_due()

    # -- people -------------------------------------------------------------------------------
    def _act(
        self, tenant: str, case_id: str, act: Callable[[WelfareCase], CaseChange]
    ) -> WelfareCase:
        """Apply a person's action; CaseNotFound / CaseConflict say why it cannot be."""

        def decide(current: WelfareCase | None) -> CaseChange:
            if current is None:
                raise CaseNotFound(case_id)
            return act(current)

        change = self._change(tenant, case_id, decide)
        assert change is not None
        return change.case

    def take(self, tenant: str, case_id: str, actor: str) -> WelfareCase:
        now = self.clock()
        return self._act(tenant, case_id, lambda c: cases.take(c, actor, now))

    def record_outcome(
        self, tenant: str, case_id: str, actor: str, outcome: WelfareOutcome, note: str
    ) -> WelfareCase:
        now = self.clock()
        return self._act(
            tenant, case_id, lambda c: cases.record_outcome(c, actor, outcome, note, now)
        )

    def close(self, tenant: str, case_id: str, actor: str, note: str) -> WelfareCase:
        now = self.clock()
        return self._act(tenant, case_id, lambda c: cases.close(c, actor, note, now))

    def keypress(self, tenant: str, case_id: str, contact: int, digits: str) -> str:
        """A contact pressed a key during the welfare call; returns what they hear next."""
        if digits.strip() != "1":
            return "Nous appelons une autre personne. Merci."
        now = self.clock()

        def by_phone(current: WelfareCase) -> CaseChange:
            who = cases.contact_for_keypress(current, contact)
            return cases.take(current, who, now, contact=contact)

        try:
            self._act(tenant, case_id, by_phone)
        except CaseNotFound:
            return "Ce signalement n'existe plus. Merci."
        except CaseConflict:
            return "Merci, quelqu'un s'en occupe déjà."
        return (
            "Merci, vous vous en occupez. Le service de portage est prévenu. Vous recevez un SMS "
            "pour nous dire ce que vous avez trouvé."
        )

    def outcome_by_sms(self, phone: str, body: str) -> bool:
        """The contact who took a case texts back 1-4: the outcome is recorded under their name.
        False when the SMS is not such a reply (then it is an ordinary inbound SMS)."""
        taken = self.store.case_taken_by(phone)
        outcome = cases.outcome_from_reply(body)
        if taken is None or outcome is None:
            return False
        tenant, case_id = taken
        now = self.clock()

        def by_sms(current: WelfareCase) -> CaseChange:
            names = [c.name for c in current.contacts if c.phone == phone]
            who = names[0] if names else phone
            return cases.record_outcome(current, who, outcome, "par SMS", now)

        try:
            self._act(tenant, case_id, by_sms)
        except (CaseNotFound, CaseConflict):
            return False
        return True

    # -- the provider's receipts ---------------------------------------------------------------
    def receipt(self, tenant: str, key: str, params: dict[str, str]) -> str | None:
        """A status callback for a notice (its signed URL names it): kept on the notice once per
        status; a welfare contact's final status also goes into the case's history. Returns the
        status, None for a notice we do not know (erased, or never ours)."""
        notice = self.store.notice(tenant, key)
        if notice is None:
            return None
        status = params.get("MessageStatus") or params.get("SmsStatus") or params.get("CallStatus")
        status = (status or "").strip().lower()
        if not status:
            raise ValueError("the callback carries no status")
        now = self.clock()
        error = params.get("ErrorCode") or None
        if key.startswith("welfare:"):
            case_id, index, channel = key.rsplit(":", 2)

            def decide(current: WelfareCase | None) -> CaseChange | None:
                if current is None:
                    return None
                return cases.receipt(
                    current, int(index), channel, status, now,
                    error=error, duration_s=params.get("CallDuration"),
                )  # fmt: skip

            self._change(tenant, case_id, decide)
        sid = params.get("MessageSid") or params.get("CallSid")
        seen = {"at": now.isoformat(), "sid": sid, "error": error}
        events = family_receipt_events(tenant, key, status, error, now)
        self.store.record_receipt(tenant, key, status, seen, self.settings.receipts_keep_s, events)
        return status

    # -- families -----------------------------------------------------------------------------
    def eta_updated(self, tenant: str, event: DeliveryEtaUpdated) -> int:
        notices = [
            notice
            for notice, person in zip(
                approaching_notices(event, self.settings.eta_notice_min), event.notify, strict=False
            )
            # A late ETA (a redelivery overtaken by the handover) says nothing after "livré".
            if self.store.notice(tenant, delivered_key(event.delivery_id, person)) is None
        ]
        self.store.queue_notices(tenant, notices)
        return len(notices)

    def delivered(self, tenant: str, event: DeliveryCompleted) -> int:
        notices = delivered_notices(event)
        self.store.queue_notices(tenant, notices)
        return len(notices)
