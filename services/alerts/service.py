"""The alerts service's entrypoints: validate, call the use case, return contract dumps."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

from eventlet import tpool
from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.timer import timer
from pydantic import ValidationError

from contracts.alerts import CampaignRequest
from contracts.deliveries import DeliveryFailed
from contracts.envelope import Envelope
from contracts.identity import Caller
from contracts.meals import SeniorErasedEvent
from contracts.messaging import SmsReceived, TransactionalSms

# The mixins (status_intake, receipt_chase, welfare) by module, not class: `nameko run
# services.alerts.service` runs every class here that has entrypoints; a mixin alone is no service.
from services.alerts import (
    campaign_ops,
    contact_ops,
    feed_intake,
    feed_records,
    log_retention,
    progress_publisher,
    receipt_chase,
    status_intake,
)
from services.alerts.address_files import load_address_books
from services.alerts.callbacks import apply_keypress, apply_status, inbound_intent
from services.alerts.channels.twilio import signature_is_valid
from services.alerts.dependencies import DeliveryEngine, EngineHandle
from services.alerts.escalations import escalation_for_failed_delivery
from services.alerts.feed_outcomes import as_seen_by
from services.alerts.phones import PhoneError, parse_phone
from services.alerts.progress_events import PROGRESS_EVERY_S
from services.alerts.progress_store import ProgressStore
from services.alerts.store import AlertsStore
from services.alerts.territory import TerritoryError, communes_from_geojson, to_geojson
from services.alerts.transactional import TransactionalSender
from services.alerts.webhooks import notice_query, recipient_from_url, welfare_query
from services.alerts.welfare import entrypoints as welfare
from services.alerts.welfare.erasure import erased_escalation, names_senior
from services.common import outbox
from services.common.dead_letter import event_handler
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import (
    InvalidMessage,
    describe_validation_error,
    open_message,
    valid_input,
)
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.uptime import Uptime

USER_ERRORS = (InvalidMessage, NotFound, Forbidden, Conflict)
# The retention job is looked at hourly and runs once a day per deployment (whichever instance
# claims the day), also soon after a start, so that restarts never starve it.
RETENTION_CHECK_S = 3600


def _caller(raw: dict[str, Any]) -> Caller:
    """Who asks, as the gateway passed it; a malformed identity reaches nothing."""
    try:
        return Caller.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(f"caller: {describe_validation_error(error)}") from None


def _request(raw: dict[str, Any]) -> CampaignRequest:
    return valid_input(CampaignRequest, raw)


class AlertsService(
    welfare.WelfareEntrypoints, status_intake.StatusIntake, receipt_chase.ReceiptChase
):
    name = "alerts"

    store: AlertsStore = RedisStore(AlertsStore)
    uptime: float = Uptime()
    engine: EngineHandle = DeliveryEngine()
    dispatch = EventDispatcher()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    # -- retention of SMS and call logs --------------------------------------------------------
    @timer(interval=RETENTION_CHECK_S, eager=True)
    def apply_log_retention(self) -> None:
        now = datetime.now(UTC)
        if self.store.claim_daily("log_retention", now.date().isoformat()):
            keep_days = self.engine.settings.sms_log_retention_days
            log_retention.apply_retention(self.store, now, keep_days)

    # -- campaign progress, for live pages and anyone else following a campaign ----------------
    @timer(interval=PROGRESS_EVERY_S)
    def publish_campaign_progress(self) -> None:
        """`campaign_progress_updated` for the campaigns whose counts moved (coalesced)."""
        progress = ProgressStore(self.store.client, self.store.deployment)
        if progress_publisher.publish_progress(self.store, progress, time.time()):
            outbox.relay(self.store.client, progress.outbox_prefix, self.dispatch)

    # -- escalations ------------------------------------------------------------------------
    @event_handler("routing", "delivery_failed")
    def handle_delivery_failed(self, body: dict[str, Any]) -> None:
        envelope, event = open_message(body, DeliveryFailed)
        escalation = escalation_for_failed_delivery(
            event, event_id=envelope.event_id, received_at=datetime.now(UTC)
        )
        self.store.open_escalation(envelope.tenant, escalation)
        # An unanswered door also opens the day's welfare case (once, whatever the redeliveries).
        if self.welfare.open_for(envelope.tenant, event) is not None:
            self._relay_welfare_events()

    @event_handler("routing", "senior_erased")
    def handle_senior_erased(self, body: dict[str, Any]) -> None:
        """Routing erased a senior (RGPD): their welfare cases and escalations keep that
        something happened, never whom (idempotent: a second delivery finds nothing more)."""
        envelope, event = open_message(body, SeniorErasedEvent)
        deliveries = self.welfare.store.erase_senior(
            envelope.tenant, event.senior_id, datetime.now(UTC)
        )
        self.store.rewrite_escalations(
            envelope.tenant,
            lambda e: names_senior(e, event.senior_id, deliveries),
            erased_escalation,
        )

    @rpc(expected_exceptions=USER_ERRORS)
    def list_escalations(self, tenant: str, caller: dict[str, Any]) -> list[dict[str, Any]]:
        found = contact_ops.escalations(self.store, tenant, _caller(caller))
        return [e.model_dump(mode="json") for e in found]

    # -- contacts ---------------------------------------------------------------------------
    @rpc(expected_exceptions=USER_ERRORS)
    def import_contacts(
        self, tenant: str, caller: dict[str, Any], csv_base64: str, communes: dict[str, str]
    ) -> dict[str, Any]:
        """`communes`: the tenant's, by code; rows of a commune the caller does not reach are
        rejected with the reason."""
        try:
            data = base64.b64decode(csv_base64, validate=True)
        except ValueError:
            raise InvalidMessage("the file cannot be read: csv_base64 is not base64") from None
        address_dir = self.engine.settings.address_dir
        report = contact_ops.import_contacts(
            self.store,
            tenant,
            _caller(caller),
            data,
            communes,
            # In a real thread: a department's file takes seconds to filter, and the green hub
            # must keep answering heartbeats meanwhile (Python code yields the GIL; C would not).
            lambda codes: tpool.execute(load_address_books, address_dir, codes),
        )
        return report.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def unplaced_contacts(self, tenant: str, caller: dict[str, Any]) -> list[dict[str, Any]]:
        """The caller's contacts without a point on the map, for the mairie to fix."""
        found = contact_ops.unplaced_contacts(self.store, tenant, _caller(caller))
        return [u.model_dump(mode="json") for u in found]

    @rpc(expected_exceptions=USER_ERRORS)
    def export_contact(
        self, tenant: str, caller: dict[str, Any], contact_id: str
    ) -> dict[str, Any]:
        """Everything we hold about one person (RGPD access request)."""
        return contact_ops.export_contact(self.store, tenant, _caller(caller), contact_id)

    @rpc(expected_exceptions=USER_ERRORS)
    def erase_contact(self, tenant: str, caller: dict[str, Any], contact_id: str) -> dict[str, Any]:
        """RGPD erasure: the person goes; delivery reports keep neither name nor number."""
        contact_ops.erase_contact(self.store, tenant, _caller(caller), contact_id)
        return {"erased": contact_id}

    @rpc(expected_exceptions=USER_ERRORS)
    def set_opt_out(
        self, tenant: str, caller: dict[str, Any], phone: str, opted_out: bool
    ) -> dict[str, Any]:
        return contact_ops.set_opt_out(self.store, tenant, _caller(caller), phone, opted_out)

    # -- campaigns --------------------------------------------------------------------------
    @rpc(expected_exceptions=USER_ERRORS)
    def preview_campaign(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        result = campaign_ops.preview_campaign(
            self.store, tenant, _request(request), _caller(caller)
        )
        return result.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def create_campaign(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        who = _caller(caller)
        campaign = campaign_ops.create_campaign(
            self.store, tenant, _request(request), who.username, who
        )
        return campaign.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def get_campaign(self, tenant: str, caller: dict[str, Any], campaign_id: str) -> dict[str, Any]:
        campaign = campaign_ops.get_campaign(self.store, tenant, campaign_id, _caller(caller))
        return {
            "campaign": campaign.model_dump(mode="json"),
            "progress": [
                p.model_dump(mode="json")
                for p in campaign_ops.progress(self.store, tenant, campaign)
            ],
        }

    @rpc(expected_exceptions=USER_ERRORS)
    def list_campaigns(self, tenant: str, caller: dict[str, Any]) -> list[dict[str, Any]]:
        found = campaign_ops.visible_campaigns(self.store, tenant, _caller(caller))
        return [c.model_dump(mode="json") for c in found]

    @rpc(expected_exceptions=USER_ERRORS)
    def send_campaign(
        self, tenant: str, caller: dict[str, Any], campaign_id: str
    ) -> dict[str, Any]:
        campaign = campaign_ops.send_campaign(self.store, tenant, campaign_id, _caller(caller))
        return campaign.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def send_follow_up(
        self, tenant: str, caller: dict[str, Any], campaign_id: str, text: str, kind: str
    ) -> dict[str, Any]:
        if kind not in ("update", "end"):
            raise InvalidMessage("kind must be 'update' or 'end'")
        campaign = campaign_ops.send_follow_up(
            self.store,
            tenant,
            campaign_id,
            text,
            kind,  # type: ignore[arg-type]
            _caller(caller),
        )
        return campaign.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def cancel_campaign(
        self, tenant: str, caller: dict[str, Any], campaign_id: str
    ) -> dict[str, Any]:
        campaign, stopped = campaign_ops.cancel_campaign(
            self.store, tenant, campaign_id, _caller(caller)
        )
        return {"campaign": campaign.model_dump(mode="json"), "cancelled_sends": stopped}

    @rpc(expected_exceptions=USER_ERRORS)
    def campaign_report(self, tenant: str, caller: dict[str, Any], campaign_id: str) -> str:
        campaign = campaign_ops.get_campaign(
            self.store, tenant, campaign_id, _caller(caller), "report"
        )
        return campaign_ops.report_csv(self.store, tenant, campaign)

    @rpc(expected_exceptions=USER_ERRORS)
    def audit_trail(
        self, tenant: str, caller: dict[str, Any], count: int = 200
    ) -> list[dict[str, Any]]:
        return contact_ops.audit_trail(self.store, tenant, _caller(caller), count)

    # -- vigilance feeds -----------------------------------------------------------------------
    @rpc(expected_exceptions=USER_ERRORS)
    def ingest_feed(
        self, tenant: str, kind: str, content_base64: str, communes: dict[str, str], actor: str
    ) -> dict[str, Any]:
        """Draft campaigns from a CAP, Météo-France or Vigicrues document; never sends."""
        try:
            content = base64.b64decode(content_base64, validate=True)
        except ValueError:
            raise InvalidMessage("content_base64 is not base64") from None
        result = feed_intake.ingest(
            self.store, tenant, kind, content, communes, actor, self.engine.settings.cap_schema
        )
        return {
            "changes": result.changes,
            "drafts": [d.model_dump(mode="json") for d in result.drafts],
            "outcomes": [o.model_dump(mode="json") for o in result.record.outcomes],
            "quiet_elsewhere": result.record.quiet_elsewhere,
        }

    @rpc(expected_exceptions=USER_ERRORS)
    def feed_outcomes(
        self, tenant: str, caller: dict[str, Any], count: int = 10
    ) -> list[dict[str, Any]]:
        """The last ingests, newest first, each alert's outcome as the caller may see it."""
        who = _caller(caller)
        records = feed_records.recent_ingests(self.store.client, tenant, count)
        return [as_seen_by(r, who).model_dump(mode="json") for r in records]

    @rpc(expected_exceptions=USER_ERRORS)
    def commune_boundaries(self, tenant: str) -> dict[str, Any]:
        """The stored boundaries as a GeoJSON FeatureCollection (`code`, `nom`), for the pages."""
        raw = feed_records.boundaries(self.store.client, tenant)
        if not raw:
            raise NotFound("no commune boundaries stored: run `bocage tenant communes`")
        loaded: dict[str, Any] = json.loads(raw)
        return loaded

    @rpc(expected_exceptions=USER_ERRORS)
    def set_commune_boundaries(self, tenant: str, geojson: str) -> int:
        """The tenant's commune boundaries (GeoJSON, `code` and `nom`), for areas by geometry."""
        try:
            communes = communes_from_geojson(json.loads(geojson))
        except (TerritoryError, ValueError) as error:
            raise InvalidMessage(f"the boundaries were refused: {error}") from None
        feed_records.save_boundaries(self.store.client, tenant, json.dumps(to_geojson(communes)))
        return len(communes)

    # -- provider webhooks (forwarded by the gateway) ------------------------------------------
    @rpc(expected_exceptions=USER_ERRORS)
    def twilio_webhook(
        self,
        kind: str,
        url: str,
        params: dict[str, str],
        signature: str,
        tenant: str | None = None,
    ) -> dict[str, Any]:
        """kind: status | gather | inbound. A forged or altered request is refused.

        `tenant` (the gateway's): an inbound SMS that is not STOP/START is published as
        `sms_received` for that tenant's services (carpool by SMS)."""
        settings = self.engine.settings
        if not signature_is_valid(settings.twilio_auth_token, url, params, signature):
            raise Forbidden("the request is not signed by our provider account")
        if kind == "inbound":
            return self._inbound(params, tenant)
        welfare = welfare_query(url)
        if kind == "gather" and welfare is not None:
            return self.welfare_keypress(welfare, params.get("Digits", ""))
        notice = notice_query(url)
        if kind == "status" and notice is not None:
            return self.notice_receipt(*notice, params)
        ref = recipient_from_url(url)
        if kind == "gather":
            confirmed = apply_keypress(self.store, ref, params.get("Digits", ""))
            return {"confirmed": confirmed, "twiml": _gather_reply(confirmed)}
        if kind == "status":
            status = apply_status(
                self.store,
                self.engine.sender,
                ref,
                params,
                max_calls=settings.max_calls,
                recall_after_s=settings.recall_after_s,
            )
            return {"status": status}
        raise InvalidMessage(f"unknown webhook kind {kind!r}")

    def _inbound(self, params: dict[str, str], tenant: str | None = None) -> dict[str, Any]:
        sender = params.get("From", "")
        intent = inbound_intent(params.get("Body", ""))
        try:
            e164 = parse_phone(sender).e164
        except PhoneError:
            return {"intent": intent, "applied": False}
        if intent == "other" and self.welfare_reply(e164, params.get("Body", "")):
            return {"intent": "welfare_outcome", "phone": e164, "applied": True}
        if intent == "stop":
            self.store.set_global_opt_out(e164, True)
        elif intent == "start":
            self.store.set_global_opt_out(e164, False)
        elif tenant and params.get("MessageSid"):
            received = SmsReceived(
                message_sid=params["MessageSid"][:64],
                from_phone=e164,
                to=params.get("To", ""),
                body=params.get("Body", "")[:1600],
            )
            # The SID as event id: a webhook the provider repeats is the same event.
            envelope = Envelope.wrap(received, tenant=tenant, event_id=received.message_sid)
            self.dispatch("sms_received", envelope.model_dump(mode="json"))
        return {"intent": intent, "phone": e164, "applied": intent != "other"}

    # -- transactional SMS for other services ---------------------------------------------------
    @rpc(expected_exceptions=USER_ERRORS)
    def send_sms(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        """`TransactionalSms` → `TransactionalSmsResult`; once per idempotency key, ever."""
        try:
            sms = TransactionalSms.model_validate(request)
        except ValidationError as error:
            raise InvalidMessage(describe_validation_error(error)) from None
        try:
            e164 = parse_phone(sms.to).e164
        except PhoneError as error:
            raise InvalidMessage(f"to: {error}") from None
        sender = TransactionalSender(
            self.store.client, self.store.deployment, self.engine.sender.channel
        )
        if self.store.is_opted_out(tenant, e164):
            return sender.opted_out(sms).model_dump(mode="json")
        return sender.send(tenant, sms, e164).model_dump(mode="json")


def _gather_reply(confirmed: bool) -> str:
    text = "Merci, votre confirmation est enregistrée." if confirmed else "Nous vous rappellerons."
    return f'<Response><Say language="fr-FR">{text}</Say></Response>'
