"""Apply the retention of SMS and call logs (see `retention`) to every tenant of the deployment.

Run daily by the service's timer; any instance may run it, and running it twice changes nothing
(a purged campaign is remembered).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from services.alerts.retention import expired_campaigns
from services.alerts.store import AlertsStore

log = logging.getLogger(__name__)


def apply_retention(store: AlertsStore, now: datetime, keep_days: int) -> int:
    """Purge the recipient logs of every campaign past the retention; returns how many states."""
    cutoff = now - timedelta(days=keep_days)
    purged = 0
    for tenant in store.tenants():
        candidates = store.campaigns_created_before(tenant, cutoff)
        for campaign in expired_campaigns(candidates, now, keep_days):
            for message in campaign.messages:
                purged += store.purge_recipient_logs(tenant, campaign.campaign_id, message.number)
            store.mark_logs_purged(tenant, campaign.campaign_id)
    if purged:
        log.info("log retention (%d days): %d recipient states purged", keep_days, purged)
    return purged
