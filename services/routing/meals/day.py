"""Pure: the day's orders become deliveries, as stops for the meal-round optimiser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from contracts.meals import MealSettings, Order, Senior
from contracts.rounds import DeliveryIn
from services.routing.meals.profiles import why_no_delivery


def delivery_id(senior_id: str, day: dt.date) -> str:
    """One delivery per senior and day: redoing the day never makes a second one."""
    return f"meal-{day:%Y%m%d}-{senior_id}"[:64]


def senior_of_delivery(delivery: str) -> str | None:
    """The senior a meal delivery id names, or None for another id."""
    parts = delivery.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "meal" else None


def day_of_delivery(delivery: str) -> dt.date | None:
    """The day a meal delivery id names (`meal-YYYYMMDD-...`), or None for another id."""
    parts = delivery.split("-", 2)
    if len(parts) != 3 or parts[0] != "meal":
        return None
    try:
        return dt.datetime.strptime(parts[1], "%Y%m%d").date()
    except ValueError:
        return None


def deliveries_of_day(
    day: dt.date, orders: Iterable[Order], seniors: dict[str, Senior], settings: MealSettings
) -> tuple[list[DeliveryIn], list[dict[str, str]]]:
    """The deliveries to plan, and the orders left out with why (paused since it was placed,
    senior removed)."""
    planned: list[DeliveryIn] = []
    left_out: list[dict[str, str]] = []
    for order in sorted(orders, key=lambda o: o.senior_id):
        if order.status != "placed" or order.day != day:
            continue
        senior = seniors.get(order.senior_id)
        if senior is None:
            left_out.append({"id": order.senior_id, "reason": "the senior was removed"})
            continue
        why = why_no_delivery(senior, day)
        if why:
            left_out.append({"id": senior.id, "reason": why})
            continue
        planned.append(
            DeliveryIn(
                id=delivery_id(senior.id, day),
                location=senior.location,
                window_start=settings.window_start,
                window_end=settings.window_end,
                recipient_name=senior.full_name,
                address=senior.address,
                commune=senior.commune,
            )
        )
    return planned, left_out
