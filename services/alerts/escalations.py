"""Pure: what the alerts service opens when a delivery fails."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from contracts.deliveries import DeliveryFailed
from contracts.escalations import Escalation

REASON_TEXT = {
    "no_answer": "nobody answered the door",
    "refused": "the meal was refused",
    "address_not_found": "the address could not be found",
    "other": "the delivery could not be completed",
}
PARIS = ZoneInfo("Europe/Paris")


def escalation_for_failed_delivery(
    event: DeliveryFailed, *, event_id: str, received_at: datetime
) -> Escalation:
    # One escalation per delivery and day: the business key, not the event id, names it, so a
    # re-published event or a second report of the same door that day opens no other one.
    day = event.attempted_at.astimezone(PARIS).date().isoformat()
    return Escalation(
        escalation_id=f"delivery:{event.delivery_id}:{day}",
        kind="delivery_failed",
        subject_id=event.delivery_id,
        commune=event.commune,
        summary=f"{event.recipient_name}: {REASON_TEXT[event.reason]}",
        opened_at=received_at,
        source_event_id=event_id,
        reported_by=event.reported_by,
    )
