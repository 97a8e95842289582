"""What the sender tests share: recipients by SMS and a campaign already `sending` in the store."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from contracts.alerts import (
    Campaign,
    CampaignMessage,
    CampaignRequest,
    CampaignTarget,
    RecipientState,
)
from services.alerts.store import AlertsStore


def sms_states(people: int, phone: Callable[[int], str]) -> list[RecipientState]:
    """`people` pending SMS recipients, the i-th on `phone(i)`."""
    return [
        RecipientState(
            key=f"p{i}:{phone(i)}:sms", contact_id=f"p{i}", e164=phone(i), channel="sms",
            status="pending",
        )
        for i in range(people)
    ]  # fmt: skip


def sending_campaign(store: AlertsStore, tenant: str) -> str:
    """A one-message SMS campaign to Bailleul, saved as `sending` (no recipients yet)."""
    now = datetime.now(UTC)
    request = CampaignRequest(
        title="Test", message="Exercice.", severity="information",
        target=CampaignTarget(communes=("59043",)), channels=("sms",),
    )  # fmt: skip
    campaign = Campaign(
        campaign_id=f"cmp-{uuid.uuid4().hex[:12]}", tenant=tenant, request=request,
        status="sending", created_at=now, created_by="test", communes=("59043",),
        messages=(CampaignMessage(number=1, kind="alert", text="Exercice.",
                                  voice_text="Exercice.", created_at=now, created_by="test"),),
    )  # fmt: skip
    store.save_campaign(campaign)
    return campaign.campaign_id
