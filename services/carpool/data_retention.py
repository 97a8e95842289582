"""Apply the carpool retention (see `retention`) to every tenant of the deployment.

Run daily by the service's timer; any instance may run it, and running it twice changes nothing
(what was purged is gone from the index that finds it).
"""

from __future__ import annotations

import datetime as dt
import logging

from services.carpool.personal_store import PersonalStore
from services.carpool.retention import (
    expired,
    months_of_late_trips,
    offer_days,
    offer_last_day,
    oldest_kept,
)
from services.carpool.rides import ride_key
from services.carpool.store import CarpoolStore

log = logging.getLogger(__name__)


def apply_retention(store: CarpoolStore, today: dt.date, keep_days: int) -> dict[str, int]:
    """Purge the offers and requests whose last day is past the retention, with their rides and
    bookings; their trips keep only their figures. Returns how many of each went."""
    personal = PersonalStore(store)
    counts = {"offers": 0, "requests": 0, "bookings": 0, "trips_anonymised": 0}
    for tenant in personal.tenants():
        for kind, object_id in personal.ended_before(tenant, oldest_kept(today, keep_days)):
            if kind == "offer":
                offer = store.offer(tenant, object_id)
                if offer is None:
                    personal.drop_end(tenant, kind, object_id)
                    continue
                if not expired(offer_last_day(offer), today, keep_days):
                    continue
                months = set()
                for day in offer_days(offer):
                    key = ride_key(offer.offer_id, day)
                    ids = personal.ride_booking_ids(tenant, key)
                    for booking in personal.bookings(tenant, ids):
                        personal.delete_booking(tenant, booking)
                        counts["bookings"] += 1
                    personal.delete_ride(tenant, key)
                    months.add(day.isoformat()[:7])
                for month in sorted(months):
                    counts["trips_anonymised"] += personal.anonymise_trips(
                        tenant, month, lambda t, o=offer.offer_id: t.offer_id == o
                    )
                personal.delete_offer(tenant, offer)
                counts["offers"] += 1
            elif kind == "request":
                request = store.request(tenant, object_id)
                if request is None:
                    personal.drop_end(tenant, kind, object_id)
                    continue
                if not expired(request.request.date, today, keep_days):
                    continue
                ids = store.owned(tenant, request.passenger, "booking")
                for booking in personal.bookings(tenant, ids):
                    if booking.request_id == request.request_id:
                        personal.delete_booking(tenant, booking)
                        counts["bookings"] += 1
                personal.delete_request(tenant, request)
                counts["requests"] += 1
        # Trips of a recurring offer whose last day is still within the retention.
        for month in months_of_late_trips(today, keep_days):
            counts["trips_anonymised"] += personal.anonymise_trips(
                tenant, month, lambda t: expired(t.date, today, keep_days)
            )
    if any(counts.values()):
        log.info("carpool retention (%d days): %s", keep_days, counts)
    return counts
