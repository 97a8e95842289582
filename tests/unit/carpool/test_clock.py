"""The days a ride runs: one day, or chosen weekdays until a date, except some dates."""

from __future__ import annotations

import datetime as dt

import pytest

from services.carpool.clock import MAX_RECURRING_DAYS, ride_dates

pytestmark = pytest.mark.unit

MONDAY = dt.date(2026, 7, 6)


def test_a_one_off_ride_runs_on_its_day() -> None:
    assert ride_dates(MONDAY, None, None) == [MONDAY]


def test_mondays_and_thursdays_except_the_fourteenth_of_july() -> None:
    days = ride_dates(MONDAY, (0, 3), dt.date(2026, 7, 20), (dt.date(2026, 7, 14),))
    assert days == [
        dt.date(2026, 7, 6), dt.date(2026, 7, 9), dt.date(2026, 7, 13),
        dt.date(2026, 7, 16), dt.date(2026, 7, 20),
    ]  # fmt: skip
    tuesdays = ride_dates(MONDAY, (1,), dt.date(2026, 7, 21), (dt.date(2026, 7, 14),))
    assert dt.date(2026, 7, 14) not in tuesdays and dt.date(2026, 7, 7) in tuesdays


def test_a_recurring_ride_is_laid_out_three_months_ahead_at_most() -> None:
    days = ride_dates(MONDAY, (0,), dt.date(2030, 1, 1))
    assert days[-1] <= MONDAY + dt.timedelta(days=MAX_RECURRING_DAYS)
