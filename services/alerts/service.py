"""The alerts service's entrypoints: validate, call the use case, return contract dumps."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from pydantic import ValidationError

from contracts.alerts import CampaignRequest
from contracts.deliveries import DeliveryFailed
from contracts.envelope import Envelope
from contracts.messaging import SmsReceived, TransactionalSms
from services.alerts import campaign_ops, feed_intake
from services.alerts.callbacks import apply_keypress, apply_status, inbound_intent
from services.alerts.channels.twilio import signature_is_valid
from services.alerts.contacts_csv import CommuneDirectory, CsvError, read_contacts
from services.alerts.dependencies import DeliveryEngine, EngineHandle
from services.alerts.escalations import escalation_for_failed_delivery
from services.alerts.phones import PhoneError, parse_phone
from services.alerts.store import AlertsStore
from services.alerts.transactional import TransactionalSender
from services.alerts.webhooks import recipient_from_url
from services.common.dead_letter import event_handler
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import InvalidMessage, describe_validation_error, open_message
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.uptime import Uptime

USER_ERRORS = (InvalidMessage, NotFound, Forbidden, Conflict)


def _allowed(communes: list[str] | None) -> set[str] | None:
    """None: every commune (dispatcher, admin); a list: only those (a mayor's)."""
    return None if communes is None else set(communes)


def _request(raw: dict[str, Any]) -> CampaignRequest:
    try:
        return CampaignRequest.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(describe_validation_error(error)) from None


class AlertsService:
    name = "alerts"

    store: AlertsStore = RedisStore(AlertsStore)
    uptime: float = Uptime()
    engine: EngineHandle = DeliveryEngine()
    dispatch = EventDispatcher()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    # -- escalations ------------------------------------------------------------------------
    @event_handler("routing", "delivery_failed")
    def handle_delivery_failed(self, body: dict[str, Any]) -> None:
        envelope, event = open_message(body, DeliveryFailed)
        escalation = escalation_for_failed_delivery(
            event, event_id=envelope.event_id, received_at=datetime.now(UTC)
        )
        self.store.open_escalation(envelope.tenant, escalation)

    @rpc
    def list_escalations(self, tenant: str) -> list[dict[str, Any]]:
        return [e.model_dump(mode="json") for e in self.store.escalations(tenant)]

    # -- contacts ---------------------------------------------------------------------------
    @rpc(expected_exceptions=USER_ERRORS)
    def import_contacts(
        self, tenant: str, csv_base64: str, communes: dict[str, str], actor: str
    ) -> dict[str, Any]:
        try:
            data = base64.b64decode(csv_base64, validate=True)
            contacts, report = read_contacts(data, CommuneDirectory(communes))
        except (ValueError, CsvError) as error:
            raise InvalidMessage(f"the file cannot be read: {error}") from None
        self.store.save_contacts(tenant, contacts)
        self.store.audit(
            tenant, actor, "contacts_imported", imported=report.imported, rejected=report.rejected
        )
        return report.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def export_contact(self, tenant: str, contact_id: str, actor: str) -> dict[str, Any]:
        """Everything we hold about one person (RGPD access request)."""
        contact = self.store.contact(tenant, contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id}")
        optouts = self.store.opted_out(tenant)
        self.store.audit(tenant, actor, "contact_exported", contact=contact_id)
        return {
            "contact": contact.model_dump(mode="json"),
            "opted_out_numbers": sorted(p.e164 for p in contact.phones if p.e164 in optouts),
            "messages": self.store.contact_history(tenant, contact_id),
        }

    @rpc(expected_exceptions=USER_ERRORS)
    def erase_contact(self, tenant: str, contact_id: str, actor: str) -> dict[str, Any]:
        """RGPD erasure: the person and their indexes go; delivery reports keep no name."""
        if not self.store.erase_contact(tenant, contact_id):
            raise NotFound(f"no contact {contact_id}")
        self.store.audit(tenant, actor, "contact_erased", contact=contact_id)
        return {"erased": contact_id}

    @rpc(expected_exceptions=USER_ERRORS)
    def set_opt_out(self, tenant: str, phone: str, opted_out: bool, actor: str) -> dict[str, Any]:
        try:
            e164 = parse_phone(phone).e164
        except PhoneError as error:
            raise InvalidMessage(str(error)) from None
        if opted_out:
            self.store.set_opt_out(tenant, e164, f"request via {actor}")
        else:
            self.store.clear_opt_out(tenant, e164)
        self.store.audit(tenant, actor, "opt_out" if opted_out else "opt_in", phone=e164)
        return {"phone": e164, "opted_out": opted_out}

    # -- campaigns --------------------------------------------------------------------------
    @rpc(expected_exceptions=USER_ERRORS)
    def preview_campaign(
        self, tenant: str, request: dict[str, Any], communes: list[str] | None
    ) -> dict[str, Any]:
        result = campaign_ops.preview_campaign(
            self.store, tenant, _request(request), _allowed(communes)
        )
        return result.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def create_campaign(
        self, tenant: str, request: dict[str, Any], actor: str, communes: list[str] | None
    ) -> dict[str, Any]:
        campaign = campaign_ops.create_campaign(
            self.store, tenant, _request(request), actor, _allowed(communes)
        )
        return campaign.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def get_campaign(
        self, tenant: str, campaign_id: str, communes: list[str] | None
    ) -> dict[str, Any]:
        campaign = campaign_ops.get_campaign(self.store, tenant, campaign_id, _allowed(communes))
        return {
            "campaign": campaign.model_dump(mode="json"),
            "progress": [
                p.model_dump(mode="json")
                for p in campaign_ops.progress(self.store, tenant, campaign)
            ],
        }

    @rpc
    def list_campaigns(self, tenant: str, communes: list[str] | None) -> list[dict[str, Any]]:
        allowed = _allowed(communes)
        return [
            c.model_dump(mode="json")
            for c in self.store.campaigns(tenant)
            if allowed is None or set(c.request.target.communes) <= allowed
        ]

    @rpc(expected_exceptions=USER_ERRORS)
    def send_campaign(
        self, tenant: str, campaign_id: str, actor: str, communes: list[str] | None
    ) -> dict[str, Any]:
        campaign = campaign_ops.send_campaign(
            self.store, tenant, campaign_id, actor, _allowed(communes)
        )
        return campaign.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def send_follow_up(
        self,
        tenant: str,
        campaign_id: str,
        text: str,
        kind: str,
        actor: str,
        communes: list[str] | None,
    ) -> dict[str, Any]:
        if kind not in ("update", "end"):
            raise InvalidMessage("kind must be 'update' or 'end'")
        campaign = campaign_ops.send_follow_up(
            self.store,
            tenant,
            campaign_id,
            text,
            kind,
            actor,
            _allowed(communes),  # type: ignore[arg-type]
        )
        return campaign.model_dump(mode="json")

    @rpc(expected_exceptions=USER_ERRORS)
    def cancel_campaign(
        self, tenant: str, campaign_id: str, actor: str, communes: list[str] | None
    ) -> dict[str, Any]:
        campaign, stopped = campaign_ops.cancel_campaign(
            self.store, tenant, campaign_id, actor, _allowed(communes)
        )
        return {"campaign": campaign.model_dump(mode="json"), "cancelled_sends": stopped}

    @rpc(expected_exceptions=USER_ERRORS)
    def campaign_report(self, tenant: str, campaign_id: str, communes: list[str] | None) -> str:
        campaign = campaign_ops.get_campaign(self.store, tenant, campaign_id, _allowed(communes))
        return campaign_ops.report_csv(self.store, tenant, campaign)

    @rpc
    def audit_trail(self, tenant: str, count: int = 200) -> list[dict[str, Any]]:
        return self.store.audit_trail(tenant, count)

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
        drafts, changes = feed_intake.ingest(
            self.store, tenant, kind, content, communes, actor, self.engine.settings.cap_schema
        )
        return {"changes": changes, "drafts": [d.model_dump(mode="json") for d in drafts]}

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
