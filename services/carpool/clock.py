"""Local clock times and dates of the territory (Europe/Paris) as seconds, and back. Pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from contracts.rounds import minutes_of

PARIS = ZoneInfo("Europe/Paris")
MAX_RECURRING_DAYS = 92  # a recurring offer is laid out at most three months ahead


def seconds(clock: str | None, default: float) -> float:
    return default if clock is None else minutes_of(clock) * 60.0


def hhmm(value: float) -> str:
    minutes = round(value / 60)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def ride_dates(
    first: dt.date,
    weekdays: tuple[int, ...] | None,
    until: dt.date | None,
    except_dates: tuple[dt.date, ...] = (),
) -> list[dt.date]:
    """The days a ride runs: the first day alone, or each chosen weekday up to `until`."""
    if not weekdays or until is None:
        return [first]
    last = min(until, first + dt.timedelta(days=MAX_RECURRING_DAYS))
    days, day = [], first
    skip = set(except_dates)
    while day <= last:
        if day.weekday() in weekdays and day not in skip:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def local_now() -> dt.datetime:
    return dt.datetime.now(PARIS)
