"""Campaign progress events on the real Redis: however many statuses change, a campaign gets a
few events a second at most, each with the counts of its moment; a change of state goes at once;
two instances looking together publish once; a campaign long finished is no longer watched."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from services.alerts.progress_events import PROGRESS_EVERY_S, WATCH_AFTER_S
from services.alerts.progress_publisher import publish_progress
from services.alerts.progress_store import ProgressStore
from services.alerts.store import AlertsStore
from services.common import outbox

from .sending_campaign import sending_campaign, sms_states

pytestmark = pytest.mark.integration

T0 = 1_900_000_000.0


def _published(client: redis.Redis, progress: ProgressStore) -> list[dict[str, Any]]:
    """The progress events in the outbox, oldest first (taken out, as the relay would)."""
    found: list[dict[str, Any]] = []

    def take(event_type: str, body: dict[str, Any]) -> None:
        assert event_type == "campaign_progress_updated"
        found.append(body["payload"])

    outbox.relay(client, progress.outbox_prefix, take)
    return found


def test_thousands_of_statuses_make_a_few_events_and_each_change_of_state_one_at_once(
    store: AlertsStore, tenant: str
) -> None:
    client = store.client
    progress = ProgressStore(client, store.deployment)
    campaign_id = sending_campaign(store, tenant)
    states = sms_states(600, lambda i: f"+3361000{i:04d}")
    store.freeze_recipients(tenant, campaign_id, 1, states)

    assert publish_progress(store, progress, T0) == 1  # the campaign starts: its first counts
    assert publish_progress(store, progress, T0) == 0  # nothing moved

    # 600 statuses change between two looks, as fast as the provider answers; some are written
    # straight into the counts, as a process outside this service would.
    for state in states[:500]:
        store.update_state(tenant, campaign_id, 1, state.key, {"status": "accepted"})
    counts = f"alerts:{tenant}:c:{campaign_id}:m1:counts"
    client.hincrby(counts, "pending", -100)
    client.hincrby(counts, "delivered", 100)
    assert publish_progress(store, progress, T0 + PROGRESS_EVERY_S / 2) == 0  # not yet its turn
    assert publish_progress(store, progress, T0 + PROGRESS_EVERY_S) == 1
    # A second instance looking at the same moment finds it published.
    other = ProgressStore(client, store.deployment)
    assert publish_progress(store, other, T0 + PROGRESS_EVERY_S) == 0

    # The campaign has left: published at once, though the last counts went out just now.
    store.change_campaign(tenant, campaign_id, {"sending"}, status="sent")
    assert publish_progress(store, progress, T0 + PROGRESS_EVERY_S + 0.01) == 1

    events = _published(client, progress)
    assert [e["status"] for e in events] == ["sending", "sending", "sent"]
    assert {e["campaign_id"] for e in events} == {campaign_id}
    assert events[0]["progress"][0]["by_status"] == {"pending": 600}
    assert events[1]["progress"][0]["by_status"] == {"accepted": 500, "delivered": 100}

    # Long after its last message left, nobody changes it any more: it is no longer watched.
    store.deactivate(tenant, campaign_id, 1)
    later = T0 + PROGRESS_EVERY_S + WATCH_AFTER_S + 1
    assert publish_progress(store, progress, later) == 0
    assert progress.watched(later) == []
    record = progress.last_published(tenant, campaign_id)
    assert record is not None and record.event.status == "sent"
