"""How long the SMS and call logs of a campaign are kept. Pure.

The logs are who was sent what and how it went: one recipient state per person and message
(name, number, provider id, outcome) and each contact's list of messages received. They are
needed while an alert runs and for a while after (questions, disputes, the prefect's review);
then they go. The campaign itself, its texts and its counts per status stay: that an alert
happened, and how it went, is not personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from contracts.alerts import Campaign

DEFAULT_KEEP_DAYS = 180


def last_activity(campaign: Campaign) -> datetime:
    return max((m.created_at for m in campaign.messages), default=campaign.created_at)


def logs_expired(campaign: Campaign, now: datetime, keep_days: int) -> bool:
    """Past the retention since its last message, and no longer sending."""
    if campaign.status == "sending":
        return False
    return now - last_activity(campaign) > timedelta(days=keep_days)


def expired_campaigns(
    campaigns: Iterable[Campaign], now: datetime, keep_days: int
) -> list[Campaign]:
    return [c for c in campaigns if logs_expired(c, now, keep_days)]
