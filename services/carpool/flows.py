"""What each carpool command does, over the store and one travel-time function.

Kept apart from `service.py` so that the entrypoints stay thin and nameko stays at the edge;
`times_of` is the routing service's `travel_times` in production (`matrix_of`, its
`travel_matrix`, for an offer's few points).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

from nameko.exceptions import RemoteError
from pydantic import ValidationError

from contracts.carpool import (
    BookingStatus,
    Offer,
    OfferIn,
    RequestIn,
    RideOffered,
    RideRequest,
    RideRequested,
)
from contracts.identity import Caller
from contracts.routing import MAX_MATRIX_POINTS
from services.carpool import road_version
from services.carpool.clock import PARIS, ride_dates
from services.carpool.matcher import MatrixFn, search
from services.carpool.matching import landmarks
from services.carpool.matching.landmarks import end_columns
from services.carpool.matching.rectangles import Rectangle, TimesFn, finite_or_inf
from services.carpool.matching.search import Matrix, direct_budget
from services.carpool.once import derived_id
from services.carpool.ride_index import RideIndex
from services.carpool.rides import as_match, ask_state, prefilter_row, ride_key
from services.carpool.store import CarpoolStore
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import (
    InvalidMessage,
    describe_validation_error,
    make_message,
    valid_input,
)

ANSWER_WITHIN = dt.timedelta(minutes=30)  # the driver's time to accept a booking
ACTIVE = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
BOOK_ATTEMPTS = 3


validated = valid_input


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
        raise _road_error(error) from None
    road_version.heard(answer)
    return Matrix(answer["durations_s"], answer["distances_m"])


def times_from_routing(
    routing: Any,
    sources: Sequence[tuple[float, float]],
    targets: Sequence[tuple[float, float]],
    both_ways: bool = False,
) -> tuple[Rectangle, Rectangle | None]:
    """Routing's `travel_times`: sources × targets, and with `both_ways` targets × sources from
    the same call; in pieces of at most its points per side (one call below that)."""
    out: Rectangle = ([[] for _ in sources], [[] for _ in sources])
    back: Rectangle = ([[] for _ in targets], [[] for _ in targets])
    for s0 in range(0, len(sources), MAX_MATRIX_POINTS):
        rows = [list(p) for p in sources[s0 : s0 + MAX_MATRIX_POINTS]]
        for t0 in range(0, len(targets), MAX_MATRIX_POINTS):
            cols = [list(p) for p in targets[t0 : t0 + MAX_MATRIX_POINTS]]
            asked = {"sources": rows, "targets": cols, "both_ways": both_ways}
            try:
                answer = routing.travel_times(asked)
            except RemoteError as error:
                raise _road_error(error) from None
            road_version.heard(answer)
            _extend(out, s0, answer["durations_s"], answer["distances_m"])
            if both_ways:
                _extend(back, t0, answer["back_durations_s"], answer["back_distances_m"])
    return out, (back if both_ways else None)


def _extend(
    into: Rectangle, first_row: int, durations: list[list[Any]], distances: list[list[Any]]
) -> None:
    for i, (row_s, row_m) in enumerate(zip(durations, distances, strict=True)):
        into[0][first_row + i] += [finite_or_inf(v) for v in row_s]
        into[1][first_row + i] += [finite_or_inf(v) for v in row_m]


def _road_error(error: RemoteError) -> Exception:
    if error.exc_type == "InvalidMessage":
        return InvalidMessage(f"a point is off the road graph: {error.value}")
    if error.exc_type == "Conflict":
        return Conflict(f"no road graph is loaded: {error.value}")
    return error


# (username, French text, idempotency key): tells a person without the app (an SMS passenger).
Notify = Callable[[str, str, str], None]


def _silent(username: str, text: str, key: str) -> None:
    return None


def _day_fr(day: dt.date) -> str:
    return day.strftime("%d/%m")


def _days_of(given: OfferIn) -> list[dt.date]:
    recurrence = given.recurrence
    return ride_dates(
        given.date,
        recurrence.weekdays if recurrence else None,
        recurrence.until if recurrence else None,
        recurrence.except_dates if recurrence else (),
    )


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
        answer_within: dt.timedelta = ANSWER_WITHIN,
        times_of: TimesFn | None = None,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.caller = caller
        self.matrix_of = matrix_of
        self.relay = relay
        self.notify: Notify = notify or _silent
        self.index = index or RideIndex()
        self.answer_within = answer_within
        self.times_of = times_of  # routing's rectangles; None: one N×N matrix per query

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
        offer_id = derived_id("o", driver, given)
        made = self._made(self.store.offer(self.tenant, offer_id), given, "offer")
        if made is not None:
            return self._offer_answer(made)
        today = dt.datetime.now(PARIS).date()
        if given.date < today:
            raise InvalidMessage(f"the ride's day {given.date} is in the past")
        days = _days_of(given)
        if not days:
            raise InvalidMessage("the recurrence leaves no day for this ride")
        landmarks = self._landmarks(given)
        ends = [tuple(given.origin), tuple(given.destination)]
        matrix = self.matrix_of([*ends, *landmarks])  # type: ignore[list-item]
        direct_s, direct_m = matrix.travel(0, 1), matrix.metres(0, 1)
        if math.isinf(direct_s):
            raise InvalidMessage("no drivable path from the origin to the destination")
        offer = Offer(
            offer_id=offer_id,
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
        if not self.store.save_offer(self.tenant, offer, rows, event, road_version.current()):
            # The same call, delivered twice at once: the other delivery made it.
            return self._offer_answer(self._existing_offer(offer_id))
        self.relay()
        return self._offer_answer(offer)

    def _made(self, found: Any, given: Any, what: str) -> Any:
        """The object an earlier delivery of this call made, if any (same owner, same input)."""
        if found is None:
            return None
        if getattr(found, what) != given:
            raise Conflict(f"this client_key was already used for another {what}")
        return found

    def _existing_offer(self, offer_id: str) -> Offer:
        offer = self.store.offer(self.tenant, offer_id)
        assert offer is not None, "save_offer refused because the offer exists"
        return offer

    def _offer_answer(self, offer: Offer) -> dict[str, Any]:
        days = _days_of(offer.offer)
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
        request_id = derived_id("r", passenger, given)
        made = self._made(self.store.request(self.tenant, request_id), given, "request")
        if made is not None:
            return self._request_answer(made)
        if given.date < dt.datetime.now(PARIS).date():
            raise InvalidMessage(f"the day {given.date} is in the past")
        request = RideRequest(
            request_id=request_id,
            passenger=passenger,
            request=given,
            created_at=_now(),
        )
        event = self._event(
            RideRequested(request_id=request.request_id, passenger=passenger, date=given.date)
        )
        if self.store.save_request(self.tenant, request, event):
            self.relay()
        else:  # delivered twice at once: answer the one the other delivery saved
            request = self.store.request(self.tenant, request_id) or request
        return self._request_answer(request)

    def _request_answer(self, request: RideRequest) -> dict[str, Any]:
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
            times_of=self.times_of,
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
