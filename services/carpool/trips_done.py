"""Trips done: a ride that took place is recorded, and the month's trips are exported."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from contracts.carpool import Booking, BookingStatus, Offer, Trip, TripCompleted
from services.carpool import trips as trip_report
from services.carpool.bookings import Bookings
from services.carpool.personal_store import PersonalStore
from services.carpool.rides import ride_key
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import InvalidMessage


class Carpool(Bookings):
    """Every carpool command, for one tenant and one caller."""

    def complete(self, offer_id: str, day: str) -> dict[str, Any]:
        offer = self._offer(offer_id)
        key = ride_key(offer_id, day)
        if not self.store.ride(self.tenant, key):
            raise NotFound(f"the ride {offer_id} does not run on {day}")
        riders = [
            b for b in self.store.ride_bookings(self.tenant, key)
            if b.status is BookingStatus.CONFIRMED
        ]  # fmt: skip
        trip = self._trip(offer, day, riders)
        event = self._event(TripCompleted(trip=trip))
        if not self.store.set_ride_status(
            self.tenant, key, "completed", [("trip_completed", event)], trip
        ):
            raise Conflict(f"this ride is already {self.store.ride(self.tenant, key)['status']}")
        for booking in riders:
            done = booking.model_copy(update={"status": BookingStatus.COMPLETED})
            self.store.change_booking(self.tenant, booking, done, False, [])
        self.relay()
        return trip.model_dump(mode="json")

    def _trip(self, offer: Offer, day: str, riders: list[Booking]) -> Trip:
        points = [tuple(offer.offer.origin), tuple(offer.offer.destination)]
        for booking in riders:
            points += [tuple(booking.pickup.location), tuple(booking.dropoff.location)]
        matrix = self.matrix_of(points)  # type: ignore[arg-type]
        shared = sum(matrix.metres(2 + 2 * i, 3 + 2 * i) * b.seats for i, b in enumerate(riders))
        return Trip(
            offer_id=offer.offer_id,
            date=dt.date.fromisoformat(day),
            driver=offer.driver,
            passengers=tuple(b.passenger for b in riders),
            passenger_seats=sum(b.seats for b in riders),
            origin=offer.offer.origin,
            destination=offer.offer.destination,
            origin_label=offer.offer.origin_label,
            destination_label=offer.offer.destination_label,
            origin_commune=offer.offer.origin_commune,
            destination_commune=offer.offer.destination_commune,
            distance_m=offer.direct_m,
            shared_m=0.0 if math.isinf(shared) else round(shared, 1),
        )

    def trips_csv(self, month: str, commune: str | None = None) -> str:
        if not self.caller.tenant_wide:
            raise Forbidden("only a dispatcher or an admin exports the trips")
        try:
            dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise InvalidMessage("month must be YYYY-MM") from None
        trips = self.store.trips(self.tenant, month)
        figures = PersonalStore(self.store).trip_figures(self.tenant, month)
        return trip_report.monthly_csv(trips, commune, figures)
