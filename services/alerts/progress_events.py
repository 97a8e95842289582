"""Pure: when a campaign's progress is worth an event (`campaign_progress_updated`).

Counts change at the pace messages leave and receipts come back (thousands a second), so events
are coalesced: a change of counts is published at most every `PROGRESS_EVERY_S` per campaign,
with the counts of that moment; a change of state (the campaign sending, sent, cancelled or
halted, a message done, a follow-up added) is published at once. Live pages only need to be woken
(they read the campaign again), other consumers get the counts as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.alerts import Campaign, CampaignProgress, CampaignProgressUpdated

# Two updates a second per campaign at most: a live page looks lively, the broker barely notices.
PROGRESS_EVERY_S = 0.5
# A campaign is watched while a message of it is being sent, and this long after: provider
# receipts (delivered, undelivered) keep changing its counts for a while.
WATCH_AFTER_S = 600.0


@dataclass(frozen=True)
class PublishedProgress:
    """The last progress published for a campaign, and when (epoch seconds)."""

    at: float
    event: CampaignProgressUpdated


def progress_event(campaign: Campaign, progress: list[CampaignProgress]) -> CampaignProgressUpdated:
    return CampaignProgressUpdated(
        campaign_id=campaign.campaign_id, status=campaign.status, progress=tuple(progress)
    )


def _state(event: CampaignProgressUpdated) -> tuple[object, ...]:
    return (event.status, tuple((p.message_number, p.done) for p in event.progress))


def to_publish(
    last: PublishedProgress | None,
    current: CampaignProgressUpdated,
    now: float,
    every_s: float = PROGRESS_EVERY_S,
) -> bool:
    """Whether `current` should be published, given what was last published."""
    if last is None:
        return True
    if last.event == current:
        return False
    if _state(last.event) != _state(current):
        return True
    return now - last.at >= every_s
