"""When a campaign's progress is worth an event: counts coalesced, changes of state at once."""

from __future__ import annotations

import pytest

from contracts.alerts import CampaignProgress, CampaignProgressUpdated, CampaignStatus
from services.alerts.progress_events import PROGRESS_EVERY_S, PublishedProgress, to_publish

pytestmark = pytest.mark.unit


def _event(
    status: CampaignStatus = "sending", done: bool = False, **counts: int
) -> CampaignProgressUpdated:
    progress = CampaignProgress(
        campaign_id="c1", message_number=1, total=1000, by_status=counts, done=done
    )
    return CampaignProgressUpdated(campaign_id="c1", status=status, progress=(progress,))


def test_the_first_progress_of_a_campaign_is_published() -> None:
    assert to_publish(None, _event(pending=1000), now=0.0)


def test_the_same_progress_is_never_published_twice() -> None:
    last = PublishedProgress(at=0.0, event=_event(pending=1000))
    assert not to_publish(last, _event(pending=1000), now=3600.0)


def test_moving_counts_wait_for_their_turn_then_go_with_the_counts_of_that_moment() -> None:
    last = PublishedProgress(at=100.0, event=_event(pending=1000))
    assert not to_publish(last, _event(pending=400, accepted=600), now=100.0 + PROGRESS_EVERY_S / 2)
    assert to_publish(last, _event(pending=100, accepted=900), now=100.0 + PROGRESS_EVERY_S)


@pytest.mark.parametrize(
    "current",
    [
        _event("sent", accepted=1000),  # the campaign has left
        _event("cancelled", pending=10, accepted=990),
        _event("sending", done=True, accepted=1000),  # a message done
    ],
)
def test_a_change_of_state_is_published_at_once(current: CampaignProgressUpdated) -> None:
    last = PublishedProgress(at=100.0, event=_event(pending=10, accepted=990))
    assert to_publish(last, current, now=100.0)
