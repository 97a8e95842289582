"""Pure: whether a meal can be ordered for a senior on a day, and the order it makes."""

from __future__ import annotations

import datetime as dt

from contracts.meals import MealSettings, MenuChoice, Order, OrderIn, Senior, WeeklyMenu
from services.routing.meals.cutoff import cutoff_of, read_only_reason
from services.routing.meals.profiles import why_no_delivery


class OrderRefused(ValueError):
    """The order cannot be saved; the message says why, for the family to read."""


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def choice_of(menu: WeeklyMenu | None, day: dt.date, choice_id: str) -> MenuChoice:
    if menu is None:
        raise OrderRefused(f"no menu is published for the week of {week_of(day)}")
    for menu_day in menu.days:
        if menu_day.day == day:
            for choice in menu_day.choices:
                if choice.id == choice_id:
                    return choice
            known = ", ".join(c.id for c in menu_day.choices)
            raise OrderRefused(f"no choice {choice_id!r} on {day}'s menu (choices: {known})")
    raise OrderRefused(f"the menu of the week of {menu.week} has nothing on {day}")


def conflicts(senior: Senior, choice: MenuChoice) -> list[str]:
    """What makes `choice` wrong for `senior`: a diet it does not suit, a texture it does not
    come in, an allergen."""
    found = []
    missing = [d for d in senior.diets if d not in choice.diets]
    if missing:
        found.append(f"{choice.name} is not {', '.join(missing)} (diet of {senior.full_name})")
    if senior.texture not in choice.textures:
        found.append(f"{choice.name} does not come {senior.texture} ({senior.full_name}'s texture)")
    allergens = sorted(
        {a.lower() for a in senior.allergies} & {a.lower() for a in choice.allergens}
    )
    if allergens:
        found.append(
            f"{choice.name} contains {', '.join(allergens)}: {senior.full_name} is allergic"
        )
    return found


def editable_reason(senior: Senior, day: dt.date, now: dt.datetime, settings: MealSettings) -> str:
    """Why the order of `day` cannot change now (cutoff passed, paused, not a delivery day)."""
    return read_only_reason(day, now, settings) or why_no_delivery(senior, day) or ""


def place_order(
    senior: Senior,
    menu: WeeklyMenu | None,
    wanted: OrderIn,
    by: str,
    now: dt.datetime,
    settings: MealSettings,
) -> Order:
    """The order to save, or OrderRefused with the reason (nothing is saved then)."""
    reason = editable_reason(senior, wanted.day, now, settings)
    if reason:
        raise OrderRefused(reason)
    choice = choice_of(menu, wanted.day, wanted.choice_id)
    problems = conflicts(senior, choice)
    if problems:
        raise OrderRefused("; ".join(problems))
    return Order(
        senior_id=senior.id,
        day=wanted.day,
        choice_id=choice.id,
        choice_name=choice.name,
        texture=senior.texture,
        diets=senior.diets,
        changed_by=by,
        changed_at=now,
        cutoff=cutoff_of(wanted.day, settings),
    )


def cancel_order(
    senior: Senior, order: Order, by: str, now: dt.datetime, settings: MealSettings
) -> Order:
    if order.status == "cancelled":
        raise OrderRefused(f"the order of {order.day} is already cancelled")
    reason = read_only_reason(order.day, now, settings)
    if reason:
        raise OrderRefused(reason)
    return order.model_copy(update={"status": "cancelled", "changed_by": by, "changed_at": now})


def as_seen(order: Order, now: dt.datetime, settings: MealSettings) -> Order:
    """The order with whether it can still change, and why not."""
    reason = read_only_reason(order.day, now, settings)
    return order.model_copy(update={"editable": not reason, "read_only_reason": reason})
