"""Bookings: book a seat, the driver's answer, cancellations, and re-matching the passengers of
a cancelled ride. Seats are taken by one Lua script in the store (see `store.BOOK_LUA`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from contracts.carpool import (
    Booking,
    BookingCancelled,
    BookingConfirmed,
    BookingStatus,
    Match,
    Offer,
    RideMatched,
    RideRequest,
)
from contracts.identity import Caller
from services.carpool.clock import PARIS
from services.carpool.flows import ACTIVE, BOOK_ATTEMPTS, Flows, _day_fr, _now
from services.carpool.matcher import keep_booked_legs
from services.carpool.matching.search import Found, Matrix
from services.carpool.rides import as_match, ride_key
from services.carpool.store import CarpoolStore
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import InvalidMessage


class Bookings(Flows):
    def book(self, request_id: str, offer_id: str, day: str) -> dict[str, Any]:
        request = self._request(request_id)
        offer = self.store.offer(self.tenant, offer_id)
        if offer is None:
            raise NotFound(f"no ride offer {offer_id}")
        if day != request.request.date.isoformat():
            raise InvalidMessage(f"the request is for {request.request.date}, not {day}")
        if offer.driver == request.passenger:
            raise Conflict("nobody books a seat in their own car")
        booking = self._book(request, offer, ride_key(offer_id, day), rematch=False)
        return booking.model_dump(mode="json")

    def _book(self, request: RideRequest, offer: Offer, key: str, rematch: bool) -> Booking:
        if (held := self._held_on(request, offer)) is not None:
            # Asked again (a retry, or a process killed after the seat was taken but before it
            # answered): the seat is already this request's, and the ride may now be full.
            # The driver's message carries its idempotency key, so it still leaves once.
            self.relay()
            self._tell_driver_asked(held)
            return held
        for _ in range(BOOK_ATTEMPTS):
            found = self._search(request, only=key)
            if not found.found:
                self._why_not(key)
            booking, answer = self._try_book(
                request, offer, found.found[0], found.versions, rematch
            )
            if answer == "ok":
                keep_booked_legs(self.store, self.tenant, key.split("@", 1)[1], found.found[0])
                self.relay()
                self._tell_driver_asked(booking)
                return booking
            if answer == "exists":
                if (held := self._held_on(request, offer)) is not None:
                    return held  # the same booking asked twice at once: nothing new
                raise Conflict("this request is already booked on another ride; cancel it first")
            if answer in ("cancelled", "completed", "missing"):
                self._why_not(key)
            # "changed": someone booked meanwhile; search again on the new state.
        raise Conflict("the ride is being booked by others right now; try again")

    def _held_on(self, request: RideRequest, offer: Offer) -> Booking | None:
        """The request's active booking when it is on this offer."""
        held = self.store.active_booking_of(self.tenant, request.request_id)
        current = self.store.booking(self.tenant, held) if held else None
        return current if current is not None and current.offer_id == offer.offer_id else None

    def _why_not(self, key: str) -> None:
        status = self.store.ride(self.tenant, key).get("status")
        if status is None:
            raise NotFound(f"the ride {key} does not run that day")
        if status != "active":
            raise Conflict(f"this ride is {status}")
        raise Conflict(
            "this ride cannot take you: no seat left, or its times and route do not fit yours"
        )

    def _try_book(
        self,
        request: RideRequest,
        offer: Offer,
        found: Found,
        versions: dict[str, str],
        rematch: bool,
    ) -> tuple[Booking, str]:
        match: Match = as_match(found)
        booking_id = f"b-{uuid.uuid4().hex[:12]}"
        stops = tuple(
            s
            if s.booking_id != request.request_id
            else type(s)(s.location, s.earliest, s.latest, s.load, booking_id)
            for s in found.new_stops
        )
        booking = Booking(
            booking_id=booking_id,
            offer_id=offer.offer_id,
            date=request.request.date,
            request_id=request.request_id,
            passenger=request.passenger,
            driver=offer.driver,
            seats=request.request.seats,
            pickup=match.pickup,
            dropoff=match.dropoff,
            status=BookingStatus.PENDING,
            answer_by=_now() + self.answer_within,
            passenger_first_name=request.request.first_name,
            driver_first_name=offer.offer.first_name,
            booked_by=self.caller.username,
        )
        event = self._event(
            RideMatched(
                request_id=request.request_id,
                offer_id=offer.offer_id,
                date=request.request.date,
                booking_id=booking_id,
                passenger=request.passenger,
                driver=offer.driver,
                rematch=rematch,
            )
        )
        answer = self.store.book(
            self.tenant, found.ride.key, versions[found.ride.key], stops, booking, "ride_matched",
            event,
        )  # fmt: skip
        return booking, answer

    def _booking(self, booking_id: str) -> Booking:
        booking = self.store.booking(self.tenant, booking_id)
        if booking is None or not self._reaches(booking.passenger, booking.driver):
            raise NotFound(f"no booking {booking_id}")
        return booking

    def get_booking(self, booking_id: str) -> dict[str, Any]:
        return self._booking(booking_id).model_dump(mode="json")

    def answer(self, booking_id: str, accept: bool) -> dict[str, Any]:
        booking = self._booking(booking_id)
        if not (self.caller.tenant_wide or self.caller.username == booking.driver):
            raise Forbidden("only the driver accepts or declines a booking")
        if booking.status is not BookingStatus.PENDING:
            raise Conflict(f"this booking is already {booking.status.value}")
        if _now() > booking.answer_by:
            self._end(booking, BookingStatus.EXPIRED, "expired")
            raise Conflict("too late: the booking expired and its seat was given back")
        if accept:
            after = booking.model_copy(update={"status": BookingStatus.CONFIRMED})
            event = self._event(
                BookingConfirmed(
                    booking_id=booking.booking_id,
                    offer_id=booking.offer_id,
                    date=booking.date,
                    passenger=booking.passenger,
                    driver=booking.driver,
                    pickup=booking.pickup,
                    passenger_first_name=booking.passenger_first_name,
                    driver_first_name=booking.driver_first_name,
                )
            )
            if not self.store.change_booking(
                self.tenant, booking, after, False, [("booking_confirmed", event)]
            ):
                raise Conflict("the booking changed meanwhile; look at it again")
            self.relay()
            driver = booking.driver_first_name or "le conducteur"
            self.notify(
                booking.passenger,
                f"Covoiturage confirmé le {_day_fr(booking.date)} : départ {booking.pickup.time} "
                f"({booking.pickup.label}) avec {driver}.",
                f"carpool-confirmed:{booking.booking_id}",
            )
            passenger = booking.passenger_first_name or "votre passager"
            self.notify(
                booking.driver,
                f"Covoiturage confirmé le {_day_fr(booking.date)} : {passenger} vous attend à "
                f"{booking.pickup.time} ({booking.pickup.label}), dépose à "
                f"{booking.dropoff.time} ({booking.dropoff.label}).",
                f"carpool-confirmed-driver:{booking.booking_id}",
            )
            return after.model_dump(mode="json")
        after = self._end(booking, BookingStatus.DECLINED, "declined")
        self._tell_new_plan(
            booking, self._rematch(booking, ride_key(booking.offer_id, booking.date))
        )
        return after.model_dump(mode="json")

    def _tell_driver_asked(self, booking: Booking) -> None:
        """The driver learns of a seat to accept or decline, with the time left to answer."""
        passenger = booking.passenger_first_name or "Un passager"
        by = booking.answer_by.astimezone(PARIS).strftime("%H:%M")
        self.notify(
            booking.driver,
            f"{passenger} demande une place le {_day_fr(booking.date)} : départ "
            f"{booking.pickup.time} ({booking.pickup.label}). Acceptez ou refusez avant {by}.",
            f"carpool-asked:{booking.booking_id}",
        )

    def _tell_new_plan(self, booking: Booking, outcome: dict[str, Any]) -> None:
        """The passenger learns that their ride is off, and the new plan or that none exists."""
        text = f"Votre covoiturage du {_day_fr(booking.date)} à {booking.pickup.time} est annulé."
        new = outcome.get("booking")
        if new:
            text += (
                f" Nouvelle proposition : départ {new['pickup']['time']} "
                f"({new['pickup']['label']}), en attente du conducteur."
            )
        else:
            text += " Aucun autre trajet n'a été trouvé."
        self.notify(booking.passenger, text, f"carpool-replan:{booking.booking_id}")

    def cancel_booking(self, booking_id: str) -> dict[str, Any]:
        booking = self._booking(booking_id)
        if booking.status not in ACTIVE:
            raise Conflict(f"this booking is already {booking.status.value}")
        reason = "driver" if self.caller.username == booking.driver else "passenger"
        after = self._end(booking, BookingStatus.CANCELLED, reason)
        if reason == "driver":
            key = ride_key(booking.offer_id, booking.date)
            self._tell_new_plan(booking, self._rematch(booking, key))
        else:
            passenger = booking.passenger_first_name or "Votre passager"
            self.notify(
                booking.driver,
                f"{passenger} a annulé son covoiturage du {_day_fr(booking.date)} "
                f"({booking.pickup.time}, {booking.pickup.label}) : la place est libre.",
                f"carpool-cancelled-driver:{booking.booking_id}",
            )
        return after.model_dump(mode="json")

    def _end(self, booking: Booking, status: BookingStatus, reason: str) -> Booking:
        after = booking.model_copy(update={"status": status, "cancelled_by": self.caller.username})
        event = self._event(
            BookingCancelled(
                booking_id=booking.booking_id,
                offer_id=booking.offer_id,
                date=booking.date,
                passenger=booking.passenger,
                driver=booking.driver,
                cancelled_by=self.caller.username,
                reason=reason,  # type: ignore[arg-type]
            )
        )
        if not self.store.change_booking(
            self.tenant, booking, after, True, [("booking_cancelled", event)]
        ):
            raise Conflict("the booking changed meanwhile; look at it again")
        self.relay()
        return after

    # -- a driver's ride -------------------------------------------------------------------------

    def cancel_ride(self, offer_id: str, day: str) -> dict[str, Any]:
        """Cancel one day of a ride; each passenger is re-booked on the best other ride."""
        offer = self._offer(offer_id)
        key = ride_key(offer_id, day)
        if not self.store.ride(self.tenant, key):
            raise NotFound(f"the ride {offer_id} does not run on {day}")
        if not self.store.set_ride_status(self.tenant, key, "cancelled", []):
            raise Conflict(f"this ride is already {self.store.ride(self.tenant, key)['status']}")
        outcomes = []
        for booking in self.store.ride_bookings(self.tenant, key):
            if booking.status not in ACTIVE:
                continue
            self._end(booking, BookingStatus.CANCELLED, "ride_cancelled")
            outcome = self._rematch(booking, key)
            self._tell_new_plan(booking, outcome)
            outcomes.append(outcome)
        self.relay()
        return {"offer_id": offer.offer_id, "date": day, "passengers": outcomes}

    def _rematch(self, booking: Booking, cancelled_key: str) -> dict[str, Any]:
        request = self.store.request(self.tenant, booking.request_id)
        if request is None:
            return {"passenger": booking.passenger, "booking": None}
        found = self._search(request, exclude=frozenset({cancelled_key}))
        for candidate in found.found:
            offer = self.store.offer(self.tenant, candidate.ride.key.split("@", 1)[0])
            if offer is None:
                continue
            try:
                new = self._book(request, offer, candidate.ride.key, rematch=True)
            except Conflict:
                continue
            return {"passenger": booking.passenger, "booking": new.model_dump(mode="json")}
        return {"passenger": booking.passenger, "booking": None}


def expire_pending(store: CarpoolStore, relay: Callable[[], None]) -> int:
    """Give back the seats of bookings the driver did not answer in time."""
    expired = 0
    for tenant, booking_id in store.due(_now().timestamp()):
        booking = store.booking(tenant, booking_id)
        if booking is None or booking.status is not BookingStatus.PENDING:
            store.client.zrem(store.pending_key(), f"{tenant}|{booking_id}")
            continue
        system = Caller(username="carpool", role="admin")  # type: ignore[arg-type]
        flows = Bookings(store, tenant, system, lambda points: Matrix([], []), relay)
        try:
            flows._end(booking, BookingStatus.EXPIRED, "expired")
            expired += 1
        except Conflict:
            continue
    return expired
