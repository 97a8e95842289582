"""How long carpool keeps what names a person, and what a trip keeps afterwards. Pure.

Offers, requests and bookings are needed while a ride is ahead and for a while after (a dispute,
a lost item, the driver's own history); past `keep_days` after their last day they go. A trip
done then keeps only its figures (day, communes, kilometres, seats: the mobility report and its
CO₂ saving), never who rode, nor from which address.
"""

from __future__ import annotations

import datetime as dt

from contracts.carpool import Offer, RideRequest, Trip, TripFigures
from services.carpool.clock import MAX_RECURRING_DAYS, ride_dates

DEFAULT_KEEP_DAYS = 180


def offer_days(offer: Offer) -> list[dt.date]:
    """Every day the offer runs (one, or its weekdays up to its last date)."""
    given = offer.offer
    recurrence = given.recurrence
    return ride_dates(
        given.date,
        recurrence.weekdays if recurrence else None,
        recurrence.until if recurrence else None,
        recurrence.except_dates if recurrence else (),
    )


def offer_last_day(offer: Offer) -> dt.date:
    return max(offer_days(offer), default=offer.offer.date)


def request_day(request: RideRequest) -> dt.date:
    return request.request.date


def oldest_kept(today: dt.date, keep_days: int) -> dt.date:
    """Anything whose last day is before this day is past the retention."""
    return today - dt.timedelta(days=keep_days)


def expired(last_day: dt.date, today: dt.date, keep_days: int) -> bool:
    return last_day < oldest_kept(today, keep_days)


def months_of_late_trips(today: dt.date, keep_days: int) -> list[str]:
    """The months (YYYY-MM) that may hold a trip past the retention whose offer still runs: a
    recurring offer lasts at most `MAX_RECURRING_DAYS`, so its trips are no older than that
    before the oldest day kept. (Trips of offers purged whole are anonymised with them.)"""
    last = oldest_kept(today, keep_days)
    day, months = last - dt.timedelta(days=MAX_RECURRING_DAYS), list[str]()
    while day <= last:
        if not months or months[-1] != day.isoformat()[:7]:
            months.append(day.isoformat()[:7])
        day += dt.timedelta(days=1)
    return months


def names(trip: Trip, username: str) -> bool:
    return trip.driver == username or username in trip.passengers


def figures_of(trip: Trip) -> TripFigures:
    return TripFigures(
        date=trip.date,
        origin_commune=trip.origin_commune,
        destination_commune=trip.destination_commune,
        passenger_seats=trip.passenger_seats,
        distance_m=trip.distance_m,
        shared_m=trip.shared_m,
    )
