"""Pure: the kitchen's production sheet, counts by meal, diet and texture, per round."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from contracts.meals import KitchenSheet, Order, SheetGroup, SheetLine
from services.routing.meals.day import delivery_id

NOT_ON_A_ROUND = "sans tournée"
Key = tuple[str, str, tuple[str, ...], str]


def _lines(counts: Counter[Key]) -> tuple[SheetLine, ...]:
    return tuple(
        SheetLine(choice_id=c, choice_name=n, diets=d, texture=t, count=k)  # type: ignore[arg-type]
        for (c, n, d, t), k in sorted(counts.items())
    )


def kitchen_sheet(
    day: dt.date, orders: Iterable[Order], plans: Iterable[dict[str, Any]]
) -> KitchenSheet:
    """Every placed order of `day`, grouped by the vehicle whose round carries it (the latest
    plans of the day), the rest under "sans tournée"."""
    vehicle_of: dict[str, str] = {}
    for plan in plans:
        if plan.get("kind") != "meals":
            continue
        for vehicle in plan["vehicles"]:
            for stop in vehicle["stops"]:
                vehicle_of[stop["id"]] = vehicle["vehicle_id"]
    groups: dict[str, Counter[Key]] = {}
    totals: Counter[Key] = Counter()
    for order in orders:
        if order.status != "placed" or order.day != day:
            continue
        key = (order.choice_id, order.choice_name, tuple(sorted(order.diets)), order.texture)
        group = vehicle_of.get(delivery_id(order.senior_id, day), NOT_ON_A_ROUND)
        groups.setdefault(group, Counter())[key] += 1
        totals[key] += 1
    return KitchenSheet(
        day=day,
        groups=tuple(
            SheetGroup(round=name, lines=_lines(counts), total=sum(counts.values()))
            for name, counts in sorted(groups.items(), key=lambda g: (g[0] == NOT_ON_A_ROUND, g[0]))
        ),
        totals=_lines(totals),
        total=sum(totals.values()),
    )
