"""Retention of SMS logs against the real Redis: past the retention, who was sent what goes;
that the alert happened, and how it went, stays."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.alerts import (
    Campaign,
    CampaignMessage,
    CampaignRequest,
    CampaignTarget,
    Contact,
    ContactPhone,
    RecipientState,
)
from services.alerts.log_retention import apply_retention
from services.alerts.store import AlertsStore

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _sent_campaign(store: AlertsStore, tenant: str, days_ago: int, phone: str) -> str:
    at = NOW - timedelta(days=days_ago)
    contact = Contact(
        contact_id=f"c-{uuid.uuid4().hex[:8]}",
        full_name="Jeanne Martin",
        phones=(ContactPhone(e164=phone, kind="mobile"),),
        commune="59350",
        consent_date=date(2024, 1, 1),
        consent_source="test",
    )
    store.save_contacts(tenant, [contact])
    request = CampaignRequest(
        title="Crue",
        message="Crue : evitez les berges.",
        severity="warning",
        target=CampaignTarget(communes=("59350",)),
        channels=("sms",),
    )
    campaign = Campaign(
        campaign_id=f"cmp-{uuid.uuid4().hex[:12]}",
        tenant=tenant,
        request=request,
        status="sent",
        created_at=at,
        created_by="maire",
        communes=("59350",),
        messages=(
            CampaignMessage(
                number=1, kind="alert", text="x", voice_text="x", created_at=at, created_by="m"
            ),
        ),
    )
    store.save_campaign(campaign)
    key = f"{contact.contact_id}:{phone}:sms"
    state = RecipientState(
        key=key, contact_id=contact.contact_id, e164=phone, channel="sms", status="pending"
    )
    store.freeze_recipients(tenant, campaign.campaign_id, 1, [state])
    store.update_state(tenant, campaign.campaign_id, 1, key, {"status": "delivered"})
    return campaign.campaign_id


def test_logs_past_the_retention_are_purged_and_recent_ones_kept(
    store: AlertsStore, tenant: str
) -> None:
    old = _sent_campaign(store, tenant, days_ago=200, phone="+33612345678")
    recent = _sent_campaign(store, tenant, days_ago=20, phone="+33612345679")

    assert apply_retention(store, NOW, keep_days=180) == 1

    assert list(store.states(tenant, old, 1)) == []
    assert store.counts(tenant, old, 1) == (1, {"delivered": 1})  # how it went stays
    assert store.campaign(tenant, old) is not None
    old_contact = [c for c in store.contacts(tenant, store.all_contact_ids(tenant))]
    histories = {c.contact_id: store.contact_history(tenant, c.contact_id) for c in old_contact}
    assert sorted(map(len, histories.values())) == [0, 1]
    assert [s.e164 for s in store.states(tenant, recent, 1)] == ["+33612345679"]
    # Run again (another instance, the next day): nothing more to do.
    assert apply_retention(store, NOW + timedelta(days=1), keep_days=180) == 0
