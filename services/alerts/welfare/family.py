"""Pure: the SMS a family that opted in gets about a delivery: "about 15 minutes away", then
"delivered at 11h42". Each is keyed by delivery, kind and person, so redeliveries and ETA jitter
(the ETA crossing the threshold back and forth) never send a second one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from contracts.meals_events import (
    DeliveryCompleted,
    DeliveryEtaUpdated,
    FamilyNotice,
    FamilySmsReceipt,
)
from services.alerts.welfare.notices import Notice

PARIS = ZoneInfo("Europe/Paris")


def _clock(at: datetime) -> str:
    local = at.astimezone(PARIS)
    return f"{local.hour}h{local.minute:02d}"


def _who(first_name: str) -> str:
    return first_name.strip() or "votre proche"


def approaching_key(delivery_id: str, person: FamilyNotice) -> str:
    return f"family:{delivery_id}:approaching:{person.username}"


def delivered_key(delivery_id: str, person: FamilyNotice) -> str:
    return f"family:{delivery_id}:delivered:{person.username}"


def minutes_away(event: DeliveryEtaUpdated) -> float:
    return (event.eta - event.computed_at).total_seconds() / 60


def approaching_notices(event: DeliveryEtaUpdated, threshold_min: float) -> tuple[Notice, ...]:
    """One SMS per person once the meal is at most `threshold_min` away (and not already due)."""
    away = minutes_away(event)
    if not 0 <= away <= threshold_min:
        return ()
    # Rounded up to 5 minutes: "environ 15 min" reads better than "13 min" that will change.
    shown = max(5, int(-(-away // 5) * 5))
    text = (
        f"Bocage : le repas de {_who(event.senior_first_name)} arrive dans environ {shown} min "
        f"(vers {_clock(event.eta)})."
    )
    return tuple(
        Notice(
            key=approaching_key(event.delivery_id, person),
            to=person.phone,
            channel="sms",
            text=text,
        )
        for person in event.notify
    )


def delivered_notices(event: DeliveryCompleted) -> tuple[Notice, ...]:
    text = (
        f"Bocage : le repas de {_who(event.senior_first_name)} a été livré à "
        f"{_clock(event.delivered_at)}."
    )
    return tuple(
        Notice(
            key=delivered_key(event.delivery_id, person), to=person.phone, channel="sms", text=text
        )
        for person in event.notify
    )


def final_receipt(
    key: str, status: str, error: str | None, at: datetime
) -> FamilySmsReceipt | None:
    """The receipt of a family SMS (named `family:<delivery>:<kind>:<username>`) once the
    provider's status is final; None for another notice or a status on the way."""
    parts = key.split(":", 3)
    if len(parts) != 4 or parts[0] != "family" or parts[2] not in ("approaching", "delivered"):
        return None
    if status not in ("delivered", "undelivered", "failed"):
        return None
    _, delivery_id, kind, username = parts
    return FamilySmsReceipt(
        delivery_id=delivery_id, kind=kind, username=username,  # type: ignore[arg-type]
        status=status, error_code=error, at=at,  # type: ignore[arg-type]
    )  # fmt: skip
