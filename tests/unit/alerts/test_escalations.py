"""One escalation per delivery and day, naming who reported it (issue 9)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.deliveries import DeliveryFailed
from services.alerts.escalations import escalation_for_failed_delivery

pytestmark = pytest.mark.unit


def _failed(attempted_at: str) -> DeliveryFailed:
    return DeliveryFailed(
        delivery_id="d-42", commune="59350", recipient_name="Mme Lefebvre", reason="no_answer",
        attempted_at=datetime.fromisoformat(attempted_at), reported_by="driver-1",
    )  # fmt: skip


def test_two_reports_of_the_same_door_the_same_local_day_name_one_escalation() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    morning = escalation_for_failed_delivery(
        _failed("2026-11-23T00:30:00+01:00"), event_id="e1", received_at=now
    )
    evening = escalation_for_failed_delivery(
        _failed("2026-11-23T22:50:00+00:00"), event_id="e2", received_at=now
    )  # 23:50 in Paris: the same day there
    next_day = escalation_for_failed_delivery(
        _failed("2026-11-23T23:10:00+00:00"), event_id="e3", received_at=now
    )

    assert morning.escalation_id == evening.escalation_id == "delivery:d-42:2026-11-23"
    assert next_day.escalation_id == "delivery:d-42:2026-11-24"
    assert morning.reported_by == "driver-1"
