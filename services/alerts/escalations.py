"""Pure: what the alerts service opens when a delivery fails."""

from __future__ import annotations

from datetime import datetime

from contracts.deliveries import DeliveryFailed
from contracts.escalations import Escalation

REASON_TEXT = {
    "no_answer": "nobody answered the door",
    "refused": "the meal was refused",
    "address_not_found": "the address could not be found",
    "other": "the delivery could not be completed",
}


def escalation_for_failed_delivery(
    event: DeliveryFailed, *, event_id: str, received_at: datetime
) -> Escalation:
    # One escalation per failed attempt: the business key, not the event id, names it, so a
    # re-published event (new event_id, same attempt) still opens a single escalation.
    return Escalation(
        escalation_id=f"delivery:{event.delivery_id}:{event.attempted_at.isoformat()}",
        kind="delivery_failed",
        subject_id=event.delivery_id,
        commune=event.commune,
        summary=f"{event.recipient_name}: {REASON_TEXT[event.reason]}",
        opened_at=received_at,
        source_event_id=event_id,
    )
