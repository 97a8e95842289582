"""The welfare check's and the family SMS's entrypoints, mixed into `AlertsService`.

Thin: validate the contract and the caller, call the desk, dump the result. Case changes write
their events to the outbox in the same transaction; the timer (and each action) relays them.
"""

from __future__ import annotations

from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.timer import timer

from contracts.identity import Caller
from contracts.meals_events import DeliveryCompleted, DeliveryEtaUpdated
from contracts.welfare import WelfareCase, WelfareCloseRequest, WelfareOutcomeRequest
from services.alerts.channels.twilio import say_twiml
from services.alerts.store import AlertsStore
from services.alerts.welfare.access import can_act, can_read
from services.alerts.welfare.case import CaseConflict
from services.alerts.welfare.dependencies import WelfareDeskProvider
from services.alerts.welfare.desk import CaseNotFound, WelfareDesk
from services.common import outbox
from services.common.dead_letter import event_handler
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import (
    InvalidMessage,
    open_message,
    valid_input,
)

WELFARE_ERRORS = (InvalidMessage, NotFound, Forbidden, Conflict)


_validated = valid_input


class WelfareEntrypoints:
    store: AlertsStore  # the alerts service's own store (audit trail)
    welfare: WelfareDesk = WelfareDeskProvider()
    dispatch = EventDispatcher()

    # -- the clock ------------------------------------------------------------------------------
    @timer(interval=1)
    def welfare_tick(self) -> None:
        """Due steps of every case (next contact, call for help), the notices they queued, and
        the events they wrote: a restarted service resumes here where the last one stopped."""
        self.welfare.tick()
        self._relay_welfare_events()

    def _relay_welfare_events(self) -> None:
        outbox.relay(self.welfare.store.client, self.welfare.store.outbox_prefix, self.dispatch)

    # -- families -------------------------------------------------------------------------------
    @event_handler("routing", "delivery_eta_updated")
    def handle_delivery_eta_updated(self, body: dict[str, Any]) -> None:
        envelope, event = open_message(body, DeliveryEtaUpdated)
        self.welfare.eta_updated(envelope.tenant, event)

    @event_handler("routing", "delivery_completed")
    def handle_delivery_completed(self, body: dict[str, Any]) -> None:
        envelope, event = open_message(body, DeliveryCompleted)
        self.welfare.delivered(envelope.tenant, event)

    # -- people ---------------------------------------------------------------------------------
    def _readable(self, tenant: str, raw_caller: Any, case_id: str) -> tuple[Caller, WelfareCase]:
        caller = _validated(Caller, raw_caller)
        case = self.welfare.store.case(tenant, case_id)
        if case is None or not can_read(caller, case):
            if case is not None:
                self.store.audit(tenant, caller.username, "welfare_case_refused", case=case_id)
            # The same answer whether the case is someone else's or nobody's.
            raise NotFound(f"no welfare case {case_id}")
        return caller, case

    def _actor(self, tenant: str, raw_caller: Any, case_id: str) -> Caller:
        caller, _ = self._readable(tenant, raw_caller, case_id)
        if not can_act(caller):
            self.store.audit(tenant, caller.username, "welfare_case_refused", case=case_id)
            raise Forbidden("only a dispatcher or an admin acts on a welfare case")
        return caller

    @rpc(expected_exceptions=WELFARE_ERRORS)
    def list_welfare_cases(
        self, tenant: str, caller: dict[str, Any], open_only: bool = True
    ) -> list[dict[str, Any]]:
        who = _validated(Caller, caller)
        return [
            c.model_dump(mode="json")
            for c in self.welfare.store.cases(tenant, open_only=open_only)
            if can_read(who, c)
        ]

    @rpc(expected_exceptions=WELFARE_ERRORS)
    def get_welfare_case(self, tenant: str, caller: dict[str, Any], case_id: str) -> dict[str, Any]:
        return self._readable(tenant, caller, case_id)[1].model_dump(mode="json")

    def _acting(self, tenant: str, case_id: str, act: Any) -> dict[str, Any]:
        try:
            case: WelfareCase = act()
        except CaseNotFound:
            raise NotFound(f"no welfare case {case_id}") from None
        except CaseConflict as error:
            raise Conflict(str(error)) from None
        self._relay_welfare_events()
        return case.model_dump(mode="json")

    @rpc(expected_exceptions=WELFARE_ERRORS)
    def take_welfare_case(
        self, tenant: str, caller: dict[str, Any], case_id: str
    ) -> dict[str, Any]:
        who = self._actor(tenant, caller, case_id)
        self.store.audit(tenant, who.username, "welfare_case_taken", case=case_id)
        return self._acting(
            tenant, case_id, lambda: self.welfare.take(tenant, case_id, who.username)
        )

    @rpc(expected_exceptions=WELFARE_ERRORS)
    def record_welfare_outcome(
        self, tenant: str, caller: dict[str, Any], case_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        who = self._actor(tenant, caller, case_id)
        body = _validated(WelfareOutcomeRequest, request)
        self.store.audit(
            tenant, who.username, "welfare_outcome_recorded", case=case_id, outcome=body.outcome
        )
        return self._acting(
            tenant,
            case_id,
            lambda: self.welfare.record_outcome(
                tenant, case_id, who.username, body.outcome, body.note
            ),
        )

    @rpc(expected_exceptions=WELFARE_ERRORS)
    def close_welfare_case(
        self, tenant: str, caller: dict[str, Any], case_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        who = self._actor(tenant, caller, case_id)
        body = _validated(WelfareCloseRequest, request)
        self.store.audit(tenant, who.username, "welfare_case_closed", case=case_id)
        return self._acting(
            tenant, case_id, lambda: self.welfare.close(tenant, case_id, who.username, body.note)
        )

    def welfare_reply(self, phone: str, body: str) -> bool:
        """An inbound SMS: the outcome from a contact who took a case, if it is one."""
        applied = self.welfare.outcome_by_sms(phone, body)
        if applied:
            self._relay_welfare_events()
        return applied

    # -- the provider ---------------------------------------------------------------------------
    def notice_receipt(self, tenant: str, key: str, params: dict[str, str]) -> dict[str, Any]:
        """The provider's status of a welfare or family notice (the signed URL names it)."""
        try:
            status = self.welfare.receipt(tenant, key, params)
        except ValueError as error:
            raise InvalidMessage(str(error)) from None
        self._relay_welfare_events()
        return {"status": status}

    def welfare_keypress(self, query: dict[str, list[str]], digits: str) -> dict[str, Any]:
        """A keypress on a welfare call (the signed callback URL names tenant, case, contact)."""
        try:
            tenant = query["tenant"][0]
            case_id = query["welfare"][0]
            contact = int(query["contact"][0])
        except (KeyError, IndexError, ValueError):
            raise InvalidMessage("the callback URL does not name a welfare contact") from None
        reply = self.welfare.keypress(tenant, case_id, contact, digits)
        self._relay_welfare_events()
        return {"confirmed": digits.strip() == "1", "twiml": say_twiml(reply)}
