"""The alerts service applies the SMS log retention by itself, soon after it starts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from contracts.alerts import (
    Campaign,
    CampaignMessage,
    CampaignRequest,
    CampaignTarget,
    RecipientState,
)
from services.alerts.service import AlertsService
from services.alerts.store import AlertsStore
from services.common.settings import load_settings

pytestmark = pytest.mark.service


def test_the_service_purges_logs_past_the_retention_on_its_own(
    container_factory: Any, service_config: dict[str, Any], tenant: str
) -> None:
    config = {**service_config, "ALERTS_SMS_LOG_RETENTION_DAYS": 30}
    client = redis.Redis.from_url(str(config["REDIS_URL"]), decode_responses=True)
    store = AlertsStore(client, load_settings(config))
    long_ago = datetime.now(UTC) - timedelta(days=40)
    request = CampaignRequest(
        title="t", message="m", severity="warning", target=CampaignTarget(communes=("59043",))
    )
    message = CampaignMessage(
        number=1, kind="alert", text="m", voice_text="m", created_at=long_ago, created_by="x"
    )
    campaign = Campaign(
        campaign_id="cmp-retention-1",
        tenant=tenant,
        request=request,
        status="sent",
        created_at=long_ago,
        created_by="x",
        messages=(message,),
    )
    store.save_campaign(campaign)
    state = RecipientState(
        key="c-1:+33612345678:sms",
        contact_id="c-1",
        e164="+33612345678",
        channel="sms",
        status="delivered",
    )
    store.freeze_recipients(tenant, campaign.campaign_id, 1, [state])
    assert len(list(store.states(tenant, campaign.campaign_id, 1))) == 1

    container_factory(AlertsService, config).start()

    deadline = time.monotonic() + 30
    while list(store.states(tenant, campaign.campaign_id, 1)):
        assert time.monotonic() < deadline, "the retention job did not purge the old logs"
        time.sleep(0.2)
    assert store.counts(tenant, campaign.campaign_id, 1)[0] == 1
    for key in client.scan_iter(f"alerts:{tenant}:*", count=500):
        client.delete(key)
    client.close()
