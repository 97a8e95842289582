"""Publishes campaign progress by comparing counts, not by hooking every status change.

Statuses are written by several hands (the nameko engine, the asyncio senders, provider
callbacks through the service or straight to Redis), so no single function sees every change.
Instead, a timer on every instance calls `publish_progress`: each campaign with a message being
sent is watched (and for `WATCH_AFTER_S` afterwards, for the receipts); a watched campaign whose
progress differs from what was last published gets an event (`progress_events.to_publish`),
through the outbox (`progress_store.ProgressStore.publish`). No nameko here.
"""

from __future__ import annotations

import logging

from contracts.alerts import CampaignProgressUpdated
from services.alerts import campaign_ops
from services.alerts.progress_events import (
    WATCH_AFTER_S,
    PublishedProgress,
    progress_event,
    to_publish,
)
from services.alerts.progress_store import ProgressStore
from services.alerts.store import AlertsStore

log = logging.getLogger(__name__)


def publish_progress(store: AlertsStore, progress: ProgressStore, now: float) -> int:
    """One look at every watched campaign; returns how many events were written."""
    for tenant, campaign_id, _ in store.active_messages():
        progress.watch(tenant, campaign_id, now + WATCH_AFTER_S)
    published = 0
    for tenant, campaign_id in progress.watched(now):
        try:
            published += _publish_one(store, progress, tenant, campaign_id, now)
        except Exception:
            # One unreadable campaign must not silence the others; it is looked at again.
            log.exception("progress of campaign %s of %s not published", campaign_id, tenant)
    return published


def _publish_one(
    store: AlertsStore, progress: ProgressStore, tenant: str, campaign_id: str, now: float
) -> int:
    missing = False

    def decide(last: PublishedProgress | None) -> CampaignProgressUpdated | None:
        # Read under the store's WATCH: never older than the last published record.
        nonlocal missing
        campaign = store.campaign(tenant, campaign_id)
        if campaign is None:
            missing = True
            return None
        current = progress_event(campaign, campaign_ops.progress(store, tenant, campaign))
        return current if to_publish(last, current, now) else None

    written = progress.publish(tenant, campaign_id, decide, now)
    if missing:
        progress.unwatch(tenant, campaign_id)  # erased or purged: nothing left to follow
    return int(written)
