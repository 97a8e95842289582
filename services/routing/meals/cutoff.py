"""Pure: until when a day's meal can be ordered or changed.

The cutoff is counted back from the start of the delivery day (midnight, Europe/Paris):
`cutoff_hours` (48 by default), or `weekend_cutoff_hours` (72) when those hours would run over a
Saturday or a Sunday, when the kitchen does not work. A Monday meal is thus ordered by Friday
00:00, a Wednesday one by Monday 00:00.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from contracts.meals import MealSettings

PARIS = ZoneInfo("Europe/Paris")


def cutoff_of(day: dt.date, settings: MealSettings) -> dt.datetime:
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=PARIS)
    ordinary = start - dt.timedelta(hours=settings.cutoff_hours)
    spanned = {
        (ordinary + dt.timedelta(days=n)).date().weekday()
        for n in range((start.date() - ordinary.date()).days)
    }
    hours = settings.weekend_cutoff_hours if spanned & {5, 6} else settings.cutoff_hours
    # Wall-clock arithmetic on the local date, so a DST change does not move the hour.
    back = start.replace(tzinfo=None) - dt.timedelta(hours=hours)
    return back.replace(tzinfo=PARIS)


def read_only_reason(day: dt.date, now: dt.datetime, settings: MealSettings) -> str:
    """Why the day's order can no longer change, or "" while it can."""
    cutoff = cutoff_of(day, settings)
    if now < cutoff:
        return ""
    return (
        f"orders for {day} closed on {cutoff.astimezone(PARIS):%Y-%m-%d %H:%M} "
        f"(Europe/Paris): the kitchen is preparing them; call the town hall to change it"
    )
