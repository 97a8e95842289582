"""A person's carpool data (RGPD): everything held about them, and its erasure.

A resident exports and erases their own; a dispatcher or an admin does it on someone's behalf (a
phone call), by username (`tel:+33…` for an SMS carpooler). Another resident's name answers
exactly like a name nobody holds anything about (NotFound).

Erasure first ends what is still open through the usual flows, as the system: the person's rides
are taken out of the search, their passengers told and re-matched; their own seats are given back
(the driver learns it from `booking_cancelled`). Then their offers, requests and bookings go
(with the stops they had in others' rides), the trips naming them keep only their figures, and
the rides last proposed to their number by SMS are forgotten. Running it again finds nothing left.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.carpool import Booking, BookingStatus, Offer, RideRequest, Trip
from contracts.identity import Caller
from contracts.users import Role
from services.carpool.clock import local_now
from services.carpool.flows import ACTIVE
from services.carpool.personal_store import PersonalStore
from services.carpool.retention import names, offer_days
from services.carpool.rides import ride_key
from services.carpool.sms_desk import phone_of
from services.carpool.trips_done import Carpool
from services.common.errors import NotFound

# The bookings an erasure ends or makes anew are the system's doing: the erased person's name
# must not stay on the new booking of the passenger re-matched (`booked_by`).
SYSTEM = Caller(username="carpool", role=Role.ADMIN)


class PersonalData(Carpool):
    def _person(self, username: str | None) -> str:
        """Whose data: the caller's own, or (tenant-wide callers only) anyone's who has some."""
        if username is None:
            return self.caller.username
        if username != self.caller.username and not self.caller.tenant_wide:
            raise NotFound(f"carpool holds nothing about {username}")
        if not self.store.client.exists(self.store.k(self.tenant, "of", username)):
            raise NotFound(f"carpool holds nothing about {username}")
        return username

    def _held(self, person: str) -> tuple[list[Offer], list[RideRequest], list[Booking]]:
        offer_ids = self.store.owned(self.tenant, person, "offer")
        offers = list(self.store.offers(self.tenant, offer_ids).values())
        found = [
            self.store.request(self.tenant, i)
            for i in self.store.owned(self.tenant, person, "request")
        ]
        requests = [r for r in found if r is not None]
        bookings = PersonalStore(self.store).bookings(
            self.tenant, self.store.owned(self.tenant, person, "booking")
        )
        return offers, requests, bookings

    def _trip_months(self, offers: list[Offer], bookings: list[Booking]) -> set[str]:
        months = {day.isoformat()[:7] for offer in offers for day in offer_days(offer)}
        months |= {b.date.isoformat()[:7] for b in bookings if b.status is BookingStatus.COMPLETED}
        return months

    def _trips(self, person: str, months: set[str]) -> list[Trip]:
        return [
            trip
            for month in sorted(months)
            for trip in self.store.trips(self.tenant, month)
            if names(trip, person)
        ]

    def export(self, username: str | None = None) -> dict[str, Any]:
        person = self._person(username)
        offers, requests, bookings = self._held(person)
        return {
            "username": person,
            "phone": phone_of(person) or self.store.phone(self.tenant, person),
            "offers": [o.model_dump(mode="json") for o in offers],
            "requests": [r.model_dump(mode="json") for r in requests],
            "bookings": [b.model_dump(mode="json") for b in bookings],
            "trips": [
                t.model_dump(mode="json")
                for t in self._trips(person, self._trip_months(offers, bookings))
            ],
        }

    def erase(self, username: str | None = None) -> dict[str, Any]:
        person = self._person(username)
        offers, requests, _ = self._held(person)
        cancelled = self._end_open_bookings(person, offers)
        offers, requests, bookings = self._held(person)
        months = self._trip_months(offers, bookings)
        personal = PersonalStore(self.store)
        anonymised = sum(
            personal.anonymise_trips(self.tenant, month, lambda t: names(t, person))
            for month in sorted(months)
        )
        for booking in bookings:
            personal.delete_booking(self.tenant, booking)
        for offer in offers:
            for day in offer_days(offer):
                key = ride_key(offer.offer_id, day)
                for other in personal.bookings(
                    self.tenant, personal.ride_booking_ids(self.tenant, key)
                ):
                    personal.delete_booking(self.tenant, other)
                personal.delete_ride(self.tenant, key)
            personal.delete_offer(self.tenant, offer)
        for request in requests:
            personal.delete_request(self.tenant, request)
        phone = phone_of(person)
        if phone is not None:
            personal.forget_sms_options(self.tenant, phone)
        self.store.set_phone(self.tenant, person, None)
        self.relay()
        return {
            "username": person,
            "bookings_cancelled": cancelled,
            "offers": len(offers),
            "requests": len(requests),
            "bookings": len(bookings),
            "trips_anonymised": anonymised,
        }

    def _end_open_bookings(self, person: str, offers: list[Offer]) -> int:
        """Through the usual flows: the person's rides leave the search first (so that nobody is
        re-matched into them), then their passengers are told and re-matched, then the seats the
        person held in others' cars are given back."""
        today = local_now().date()
        system = Carpool(
            self.store, self.tenant, SYSTEM, self.matrix_of, self.relay, self.notify, self.index,
            self.answer_within, self.times_of,
        )  # fmt: skip
        stopped: list[tuple[str, dt.date]] = []
        for offer in offers:
            for day in offer_days(offer):
                key = ride_key(offer.offer_id, day)
                if self.store.set_ride_status(self.tenant, key, "cancelled", []):
                    stopped.append((key, day))
        cancelled = 0
        for key, day in stopped:
            for booking in self.store.ride_bookings(self.tenant, key):
                if booking.status not in ACTIVE:
                    continue
                system._end(booking, BookingStatus.CANCELLED, "ride_cancelled")
                cancelled += 1
                if day >= today:
                    system._tell_new_plan(booking, system._rematch(booking, key))
        for booking_id in self.store.owned(self.tenant, person, "booking"):
            booking = self.store.booking(self.tenant, booking_id)
            if booking is not None and booking.passenger == person and booking.status in ACTIVE:
                system._end(booking, BookingStatus.CANCELLED, "passenger")
                cancelled += 1
        return cancelled
