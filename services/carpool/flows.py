"""What each carpool command does, over the store and one travel-time function.

Kept apart from `service.py` so that the entrypoints stay thin and nameko stays at the edge;
`matrix_of` is the routing service's `travel_matrix` in production.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from nameko.exceptions import RemoteError
from pydantic import ValidationError

from contracts.carpool import (
    Booking,
    BookingCancelled,
    BookingConfirmed,
    BookingStatus,
    Match,
    Offer,
    OfferIn,
    RequestIn,
    RideMatched,
    RideOffered,
    RideRequest,
    RideRequested,
    Trip,
    TripCompleted,
)
from contracts.identity import Caller
from services.carpool import trips as trip_report
from services.carpool.clock import PARIS, ride_dates
from services.carpool.matcher import MatrixFn, search
from services.carpool.matching import landmarks
from services.carpool.matching.landmarks import end_columns
from services.carpool.matching.search import Found, Matrix, direct_budget
from services.carpool.ride_index import RideIndex
from services.carpool.rides import as_match, ask_state, prefilter_row, ride_key
from services.carpool.store import CarpoolStore
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import InvalidMessage, ModelT, describe_validation_error, make_message

ANSWER_WITHIN = dt.timedelta(minutes=30)  # the driver's time to accept a booking
ACTIVE = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
BOOK_ATTEMPTS = 3


def validated(model: type[ModelT], raw: Any) -> ModelT:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(describe_validation_error(error)) from None


def caller_of(raw: Any) -> Caller:
    try:
        return Caller.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(f"caller: {describe_validation_error(error)}") from None


def matrix_from_routing(routing: Any, points: Sequence[tuple[float, float]]) -> Matrix:
    """One `travel_matrix` call for every point of a query."""
    try:
        answer = routing.travel_matrix({"points": [list(p) for p in points]})
    except RemoteError as error:
        if error.exc_type == "InvalidMessage":
            raise InvalidMessage(f"a point is off the road graph: {error.value}") from None
        if error.exc_type == "Conflict":
            raise Conflict(f"no road graph is loaded: {error.value}") from None
        raise
    return Matrix(answer["durations_s"], answer["distances_m"])


# (username, French text, idempotency key): tells a person without the app (an SMS passenger).
Notify = Callable[[str, str, str], None]


def _silent(username: str, text: str, key: str) -> None:
    return None


def _day_fr(day: dt.date) -> str:
    return day.strftime("%d/%m")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Flows:
    def __init__(
        self,
        store: CarpoolStore,
        tenant: str,
        caller: Caller,
        matrix_of: MatrixFn,
        relay: Callable[[], None],
        notify: Notify | None = None,
        index: RideIndex | None = None,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.caller = caller
        self.matrix_of = matrix_of
        self.relay = relay
        self.notify: Notify = notify or _silent
        self.index = index or RideIndex()

    # -- who -------------------------------------------------------------------------------------

    def _acting_for(self, named: str | None, what: str) -> str:
        if named is None or named == self.caller.username:
            return self.caller.username
        if not self.caller.tenant_wide:
            raise Forbidden(f"only a dispatcher may {what} for someone else")
        return named

    def _reaches(self, *owners: str) -> bool:
        return self.caller.tenant_wide or self.caller.username in owners

    def _event(self, model: Any) -> dict[str, Any]:
        return make_message(model, tenant=self.tenant)

    # -- offers and requests ---------------------------------------------------------------------

    def offer(self, given: OfferIn) -> dict[str, Any]:
        driver = self._acting_for(given.driver, "offer a ride")
        today = dt.datetime.now(PARIS).date()
        if given.date < today:
            raise InvalidMessage(f"the ride's day {given.date} is in the past")
        recurrence = given.recurrence
        days = ride_dates(
            given.date,
            recurrence.weekdays if recurrence else None,
            recurrence.until if recurrence else None,
            recurrence.except_dates if recurrence else (),
        )
        if not days:
            raise InvalidMessage("the recurrence leaves no day for this ride")
        landmarks = self._landmarks(given)
        ends = [tuple(given.origin), tuple(given.destination)]
        matrix = self.matrix_of([*ends, *landmarks])  # type: ignore[list-item]
        direct_s, direct_m = matrix.travel(0, 1), matrix.metres(0, 1)
        if math.isinf(direct_s):
            raise InvalidMessage("no drivable path from the origin to the destination")
        offer = Offer(
            offer_id=f"o-{uuid.uuid4().hex[:12]}",
            driver=driver,
            offer=given,
            direct_s=direct_s,
            direct_m=direct_m,
            max_detour_s=direct_budget(direct_s, given.max_detour_min, given.max_detour_share),
            created_at=_now(),
        )
        times = end_columns(matrix.travel, 0, 1, range(2, 2 + len(landmarks)))
        rows = [(ride_key(offer.offer_id, day), prefilter_row(offer, times)) for day in days]
        event = self._event(
            RideOffered(offer_id=offer.offer_id, driver=driver, date=given.date, seats=given.seats)
        )
        self.store.save_offer(self.tenant, offer, rows, event)
        self.relay()
        return {**offer.model_dump(mode="json"), "dates": [d.isoformat() for d in days]}

    def _landmarks(self, given: OfferIn) -> list[tuple[float, float]]:
        """The tenant's landmarks, chosen at its first offer from its meeting places."""
        known = self.store.landmarks(self.tenant)
        if known:
            return known
        spread = [(p.location[0], p.location[1]) for p in self.store.all_places(self.tenant)]
        spread += [(given.origin[0], given.origin[1]), (given.destination[0], given.destination[1])]
        return self.store.keep_landmarks(self.tenant, landmarks.choose(spread))

    def request(self, given: RequestIn) -> dict[str, Any]:
        passenger = self._acting_for(given.passenger, "ask for a ride")
        if given.date < dt.datetime.now(PARIS).date():
            raise InvalidMessage(f"the day {given.date} is in the past")
        request = RideRequest(
            request_id=f"r-{uuid.uuid4().hex[:12]}",
            passenger=passenger,
            request=given,
            created_at=_now(),
        )
        event = self._event(
            RideRequested(request_id=request.request_id, passenger=passenger, date=given.date)
        )
        self.store.save_request(self.tenant, request, event)
        self.relay()
        matches = self._search(request).found
        return {
            "request": request.model_dump(mode="json"),
            "matches": [as_match(f).model_dump(mode="json") for f in matches],
        }

    def _search(
        self, request: RideRequest, only: str | None = None, exclude: frozenset[str] = frozenset()
    ) -> Any:
        return search(
            self.store,
            self.tenant,
            ask_state(request.request, request.request_id),
            request.request.date.isoformat(),
            self.matrix_of,
            only=only,
            exclude=exclude | self._own_rides(request.passenger, request.request.date),
            index=self.index,
        )

    def _own_rides(self, username: str, day: dt.date) -> frozenset[str]:
        # Nobody is offered a seat in their own car.
        return frozenset(ride_key(o, day) for o in self.store.owned(self.tenant, username, "offer"))

    def matches(self, request_id: str) -> list[dict[str, Any]]:
        request = self._request(request_id)
        return [as_match(f).model_dump(mode="json") for f in self._search(request).found]

    def _request(self, request_id: str) -> RideRequest:
        request = self.store.request(self.tenant, request_id)
        if request is None or not self._reaches(request.passenger):
            raise NotFound(f"no ride request {request_id}")
        return request

    def _offer(self, offer_id: str) -> Offer:
        offer = self.store.offer(self.tenant, offer_id)
        if offer is None or not self._reaches(offer.driver):
            raise NotFound(f"no ride offer {offer_id}")
        return offer

    def get_offer(self, offer_id: str) -> dict[str, Any]:
        return self._offer(offer_id).model_dump(mode="json")

    def get_request(self, request_id: str) -> dict[str, Any]:
        return self._request(request_id).model_dump(mode="json")

    def mine(self) -> dict[str, Any]:
        who = self.caller.username
        offers = self.store.offers(self.tenant, self.store.owned(self.tenant, who, "offer"))
        requests = [
            self.store.request(self.tenant, i)
            for i in self.store.owned(self.tenant, who, "request")
        ]
        bookings = [
            self.store.booking(self.tenant, i)
            for i in self.store.owned(self.tenant, who, "booking")
        ]
        return {
            "offers": [o.model_dump(mode="json") for o in offers.values()],
            "requests": [r.model_dump(mode="json") for r in requests if r is not None],
            "bookings": [b.model_dump(mode="json") for b in bookings if b is not None],
        }

    # -- bookings --------------------------------------------------------------------------------

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
        for _ in range(BOOK_ATTEMPTS):
            found = self._search(request, only=key)
            if not found.found:
                self._why_not(key)
            booking, answer = self._try_book(
                request, offer, found.found[0], found.versions, rematch
            )
            if answer == "ok":
                self.relay()
                return booking
            if answer == "exists":
                held = self.store.active_booking_of(self.tenant, request.request_id)
                current = self.store.booking(self.tenant, held) if held else None
                if current is not None and current.offer_id == offer.offer_id:
                    return current  # the same booking asked twice: nothing new
                raise Conflict("this request is already booked on another ride; cancel it first")
            if answer in ("cancelled", "completed", "missing"):
                self._why_not(key)
            # "changed": someone booked meanwhile; search again on the new state.
        raise Conflict("the ride is being booked by others right now; try again")

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
            answer_by=_now() + ANSWER_WITHIN,
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
            return after.model_dump(mode="json")
        after = self._end(booking, BookingStatus.DECLINED, "declined")
        self._tell_new_plan(
            booking, self._rematch(booking, ride_key(booking.offer_id, booking.date))
        )
        return after.model_dump(mode="json")

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
        return trip_report.monthly_csv(self.store.trips(self.tenant, month), commune)


def expire_pending(store: CarpoolStore, relay: Callable[[], None]) -> int:
    """Give back the seats of bookings the driver did not answer in time."""
    expired = 0
    for tenant, booking_id in store.due(_now().timestamp()):
        booking = store.booking(tenant, booking_id)
        if booking is None or booking.status is not BookingStatus.PENDING:
            store.client.zrem(store.pending_key(), f"{tenant}|{booking_id}")
            continue
        system = Caller(username="carpool", role="admin")  # type: ignore[arg-type]
        flows = Flows(store, tenant, system, lambda points: Matrix([], []), relay)
        try:
            flows._end(booking, BookingStatus.EXPIRED, "expired")
            expired += 1
        except Conflict:
            continue
    return expired
