"""Pure: what the driver sees of a round (next stop, door notes, the meal), and the events a
mark at the door publishes, with everything the alerts service needs in them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from contracts.base import Contract
from contracts.deliveries import DeliveryFailed
from contracts.meals import DeliveryMark, DriverRound, Order, Senior, StopView
from contracts.meals_events import DeliveryCompleted
from services.routing.meals.day import delivery_id as delivery_id_of
from services.routing.meals.day import senior_of_delivery
from services.routing.meals.profiles import notices
from services.routing.meals.round_state import delivery_stops, vehicle_state

MARK_STATUS = {"delivered": "delivered", "absent": "absent", "refused": "refused"}


def senior_of_stop(stop_id: str, seniors: Mapping[str, Senior], day: dt.date) -> Senior | None:
    senior = seniors.get(senior_of_delivery(stop_id) or "")
    return senior if senior is not None and delivery_id_of(senior.id, day) == stop_id else None


def _moment(raw: str | None) -> dt.datetime | None:
    return None if raw is None else dt.datetime.fromisoformat(raw)


def driver_round(
    plan: dict[str, Any],
    vehicle: dict[str, Any],
    seniors: Mapping[str, Senior],
    orders: Mapping[str, Order],
    marks: Mapping[str, Mapping[str, str]],
    etas: Mapping[str, str],
    started: bool,
) -> DriverRound:
    """The vehicle's stops in order with their state; done stops stay, marked, at the top."""
    day = dt.date.fromisoformat(str(plan["date"]))
    views = []
    for stop in vehicle["stops"]:
        if stop.get("kind", "delivery") != "delivery":
            continue
        senior = senior_of_stop(stop["id"], seniors, day)
        order = orders.get(senior.id) if senior else None
        mark = marks.get(stop["id"])
        views.append(
            StopView(
                delivery_id=stop["id"],
                senior_id=senior.id if senior else "",
                name=senior.full_name if senior else stop.get("recipient_name", ""),
                address=senior.address if senior else stop.get("address", ""),
                location=stop["location"],
                door_notes=senior.door_notes if senior else "",
                meal=order.choice_name if order else "",
                texture=order.texture if order else "normale",
                status=MARK_STATUS[mark["outcome"]] if mark else "pending",  # type: ignore[arg-type]
                eta=_moment(etas.get(stop["id"])) if not mark else None,
            )
        )
    pending = [v for v in views if v.status == "pending"]
    state = vehicle_state(delivery_stops(vehicle), marks, started)
    return DriverRound(
        round_id=plan["round_id"],
        vehicle_id=vehicle["vehicle_id"],
        day=day,
        started=started,
        stops=tuple(views),
        next_stop=pending[0] if pending else None,
        status=state.status,
        finished_at=state.finished_at,
    )


def door_event(
    senior: Senior,
    delivery_id: str,
    round_id: str,
    day: str,
    mark: DeliveryMark,
    by: str,
) -> tuple[str, Contract]:
    """`delivery_completed` for a meal handed over; `delivery_failed` otherwise (absent: the
    welfare check's `no_answer`), with the senior's contacts in order and the families' SMS."""
    if mark.outcome == "delivered":
        return "delivery_completed", DeliveryCompleted(
            delivery_id=delivery_id,
            senior_id=senior.id,
            senior_first_name=senior.first_name,
            commune=senior.commune,
            round_id=round_id,
            day=day,
            delivered_at=mark.at,
            reported_by=by,
            notify=notices(senior),
        )
    return "delivery_failed", DeliveryFailed(
        delivery_id=delivery_id,
        commune=senior.commune,
        recipient_name=senior.full_name,
        reason="no_answer" if mark.outcome == "absent" else "refused",
        attempted_at=mark.at,
        note=mark.note,
        reported_by=by,
        senior_id=senior.id,
        emergency_contacts=senior.emergency_contacts,
        notify=notices(senior),
    )
