"""What the provider's webhooks change: status callbacks, keypresses, and inbound SMS (the
recipient each names: `webhooks.py`)."""

from __future__ import annotations

import time
import unicodedata
from typing import Literal

from services.alerts.delivery_policy import call_needs_a_retry, sms_needs_a_call
from services.alerts.sender import CampaignSender
from services.alerts.store import AlertsStore
from services.alerts.webhooks import RecipientRef

STOP_WORDS = {"STOP", "ARRET", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "DESABONNER"}
START_WORDS = {"START", "UNSTOP", "YES", "REPRISE"}


def _plain_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def inbound_intent(body: str) -> Literal["stop", "start", "other"]:
    """STOP / ARRET / ARRÊT (any case, accents or not) opt out; START opts back in."""
    words = _plain_upper(body).split()
    first = words[0] if words else ""
    if first in STOP_WORDS:
        return "stop"
    if first in START_WORDS:
        return "start"
    return "other"


def apply_status(
    store: AlertsStore,
    sender: CampaignSender,
    ref: RecipientRef,
    params: dict[str, str],
    *,
    max_calls: int,
    recall_after_s: float,
) -> str | None:
    """Record a message or call status; returns the recipient's new status (None: unknown)."""
    state = store.state(ref.tenant, ref.campaign_id, ref.number, ref.key)
    if state is None:
        return None
    if state.channel == "sms":
        status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        error = params.get("ErrorCode")
        new = store.update_state(
            ref.tenant,
            ref.campaign_id,
            ref.number,
            ref.key,
            {"status": status, "sid": params.get("MessageSid"), "error": error or None},
        )
        campaign = store.campaign(ref.tenant, ref.campaign_id)
        if (
            new is not None
            and sms_needs_a_call(new.status)
            and campaign is not None
            and "voice" in campaign.request.channels
        ):
            sender.queue_call_instead(ref.tenant, ref.campaign_id, ref.number, new)
        return new.status if new else None

    status = params.get("CallStatus", "")
    new = store.update_state(
        ref.tenant,
        ref.campaign_id,
        ref.number,
        ref.key,
        {"status": status, "sid": params.get("CallSid")},
    )
    if new is None:
        return None
    if (
        new.vulnerable
        and status in {"completed", "busy", "no-answer", "failed"}
        and not new.confirmed
    ):
        if call_needs_a_retry(status, new.confirmed, new.calls, max_calls):
            store.update_state(
                ref.tenant,
                ref.campaign_id,
                ref.number,
                ref.key,
                {"status": "pending", "reopen": True},
            )
            store.schedule_retry(
                ref.tenant, ref.campaign_id, ref.number, ref.key, time.time() + recall_after_s
            )
            return "pending"
        new = (
            store.update_state(
                ref.tenant, ref.campaign_id, ref.number, ref.key, {"status": "needs_human"}
            )
            or new
        )
    return new.status


def apply_keypress(store: AlertsStore, ref: RecipientRef, digits: str) -> bool:
    """ "Press 1 to confirm": True when the person confirmed."""
    if digits.strip() != "1":
        return False
    store.update_state(ref.tenant, ref.campaign_id, ref.number, ref.key, {"confirmed": True})
    return True
