"""Carpool between villages: offers, requests, meeting places, matches, bookings, and their events.

Times of day are local clock times ("HH:MM", Europe/Paris) on a given date, like rounds.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from contracts.base import Contract
from contracts.rounds import CLOCK_PATTERN, Clock, minutes_of
from contracts.routing import LatLon

MAX_SEATS = 8
DEFAULT_DETOUR_MIN = 15.0
DEFAULT_DETOUR_SHARE = 1 / 3
DEFAULT_WALK_M = 800
PlaceId = str
Label = str


class Needs(Contract):
    wheelchair: bool = False
    child_seat: bool = False


class Place(Contract):
    """A meeting point: a carpool area or parking from the national base, or from a plain list."""

    place_id: PlaceId = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    location: LatLon
    commune_insee: str | None = Field(default=None, max_length=5)
    commune_name: str = Field(default="", max_length=120)
    kind: str = Field(
        default="", max_length=80, description="BNLC `type`, e.g. Aire de covoiturage"
    )
    spaces: int | None = Field(default=None, ge=0)
    source: Literal["bnlc", "list"] = "list"


class Recurrence(Contract):
    """A ride offered every chosen weekday (0 = Monday) until a date, except on some dates."""

    weekdays: tuple[int, ...] = Field(min_length=1, max_length=7)
    until: dt.date
    except_dates: tuple[dt.date, ...] = ()

    @model_validator(mode="after")
    def _weekdays(self) -> Recurrence:
        if any(day < 0 or day > 6 for day in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return self


def _window(start: str | None, end: str | None, what: str) -> None:
    if start is not None and end is not None and minutes_of(end) < minutes_of(start):
        raise ValueError(f"{what} window ends ({end}) before it starts ({start})")


class OfferIn(Contract):
    """What a driver offers: from, to, when they leave, seats, the detour they accept."""

    origin: LatLon
    destination: LatLon
    origin_label: Label = Field(default="", max_length=120)
    destination_label: Label = Field(default="", max_length=120)
    origin_commune: str | None = Field(
        default=None, pattern=r"^[0-9][0-9AB][0-9]{3}$", description="INSEE code, for the report"
    )
    destination_commune: str | None = Field(default=None, pattern=r"^[0-9][0-9AB][0-9]{3}$")
    date: dt.date = Field(description="the (first) day of the ride")
    depart_earliest: Clock = Field(pattern=CLOCK_PATTERN)
    depart_latest: Clock = Field(pattern=CLOCK_PATTERN)
    seats: int = Field(ge=1, le=MAX_SEATS)
    recurrence: Recurrence | None = None
    max_detour_min: float = Field(default=DEFAULT_DETOUR_MIN, ge=0, le=60)
    max_detour_share: float = Field(default=DEFAULT_DETOUR_SHARE, ge=0, le=1)
    takes: Needs = Field(default_factory=Needs, description="a wheelchair, a child seat")
    first_name: str = Field(default="", max_length=60)
    driver: str | None = Field(
        default=None, description="username; only a dispatcher may offer for someone else"
    )
    client_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="idempotency key: the same key (or, without one, the same content) from the "
        "same person answers the same object, and nothing is published twice",
    )

    @model_validator(mode="after")
    def _check(self) -> OfferIn:
        _window(self.depart_earliest, self.depart_latest, "departure")
        if self.recurrence is not None and self.recurrence.until < self.date:
            raise ValueError("the recurrence ends before the first day")
        if self.origin == self.destination:
            raise ValueError("origin and destination are the same point")
        return self


class RequestIn(Contract):
    """What a passenger asks: a departure window, an arrival window ("by 9:30"), or both."""

    origin: LatLon
    destination: LatLon
    origin_label: Label = Field(default="", max_length=120)
    destination_label: Label = Field(default="", max_length=120)
    date: dt.date
    depart_after: Clock | None = Field(default=None, pattern=CLOCK_PATTERN)
    depart_before: Clock | None = Field(default=None, pattern=CLOCK_PATTERN)
    arrive_after: Clock | None = Field(default=None, pattern=CLOCK_PATTERN)
    arrive_by: Clock | None = Field(default=None, pattern=CLOCK_PATTERN)
    seats: int = Field(default=1, ge=1, le=4)
    needs: Needs = Field(default_factory=Needs)
    max_walk_m: int = Field(default=DEFAULT_WALK_M, ge=0, le=2000)
    first_name: str = Field(default="", max_length=60)
    passenger: str | None = Field(
        default=None, description="username; only a dispatcher may ask for someone else"
    )
    client_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="idempotency key: the same key (or, without one, the same content) from the "
        "same person answers the same object, and nothing is published twice",
    )

    @model_validator(mode="after")
    def _check(self) -> RequestIn:
        if self.depart_after is None and self.depart_before is None and self.arrive_by is None:
            raise ValueError("give a departure window (depart_after/depart_before) or arrive_by")
        _window(self.depart_after, self.depart_before, "departure")
        _window(self.arrive_after, self.arrive_by, "arrival")
        if self.depart_after is not None and self.arrive_by is not None:
            _window(self.depart_after, self.arrive_by, "trip")
        if self.origin == self.destination:
            raise ValueError("origin and destination are the same point")
        return self


class OfferStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Offer(Contract):
    offer_id: str
    driver: str
    offer: OfferIn
    status: OfferStatus = OfferStatus.ACTIVE
    direct_s: float = Field(description="driving time origin → destination on the road graph")
    direct_m: float
    max_detour_s: float
    created_at: dt.datetime


class RideRequest(Contract):
    request_id: str
    passenger: str
    request: RequestIn
    created_at: dt.datetime


class MatchStop(Contract):
    location: LatLon
    label: Label
    place_id: PlaceId | None = None
    time: Clock
    walk_m: float = 0


class Match(Contract):
    offer_id: str
    date: dt.date
    driver_first_name: str = ""
    pickup: MatchStop
    dropoff: MatchStop
    detour_s: float
    wait_s: float
    walk_m: float
    seats_left: int
    score: float = Field(description="lower is better: detour, waiting and walking, weighted")
    reason: str = Field(description="in French, for the passenger")
    ride_m: float | None = Field(default=None, description="the passenger's leg on the road")


class BookingStatus(StrEnum):
    PENDING = "pending"  # the passenger (or the dispatcher) booked; the driver has not answered
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Booking(Contract):
    booking_id: str
    offer_id: str
    date: dt.date
    request_id: str
    passenger: str
    driver: str
    seats: int
    pickup: MatchStop
    dropoff: MatchStop
    status: BookingStatus
    answer_by: dt.datetime = Field(description="the driver must answer by then")
    passenger_first_name: str = ""
    driver_first_name: str = ""
    booked_by: str = ""
    cancelled_by: str | None = None


class Trip(Contract):
    """A completed ride: who, when, from where to where, how far; for the monthly export."""

    offer_id: str
    date: dt.date
    driver: str
    passengers: tuple[str, ...]
    passenger_seats: int
    origin: LatLon
    destination: LatLon
    origin_label: Label = ""
    destination_label: Label = ""
    origin_commune: str | None = None
    destination_commune: str | None = None
    distance_m: float
    shared_m: float = Field(description="kilometres ridden by passengers, in metres")


# -- events (exchange `carpool.events`) ------------------------------------------------------------


class RideOffered(Contract):
    offer_id: str
    driver: str
    date: dt.date
    seats: int


class RideRequested(Contract):
    request_id: str
    passenger: str
    date: dt.date


class RideMatched(Contract):
    request_id: str
    offer_id: str
    date: dt.date
    booking_id: str
    passenger: str
    driver: str
    rematch: bool = Field(default=False, description="after the driver cancelled another ride")


class BookingConfirmed(Contract):
    booking_id: str
    offer_id: str
    date: dt.date
    passenger: str
    driver: str
    pickup: MatchStop
    passenger_first_name: str = ""
    driver_first_name: str = ""


class BookingCancelled(Contract):
    booking_id: str
    offer_id: str
    date: dt.date
    passenger: str
    driver: str
    cancelled_by: str
    reason: Literal["passenger", "driver", "ride_cancelled", "declined", "expired"]


class TripCompleted(Contract):
    trip: Trip


# -- HTTP bodies and answers (gateway) -------------------------------------------------------------


class BookingIn(Contract):
    request_id: str = Field(min_length=1, max_length=64)
    offer_id: str = Field(min_length=1, max_length=64)
    date: dt.date


class BookingAnswer(Contract):
    accept: bool


class PlacesImport(Contract):
    kind: Literal["bnlc", "list"] = "bnlc"
    text: str = Field(min_length=1, max_length=5_000_000, description="the CSV file's content")
    within_m: float = Field(
        default=0, ge=0, le=50_000, description="also keep places this close to an anchor"
    )
    anchors: list[LatLon] = Field(default_factory=list, max_length=5000)


class PlacesImported(Contract):
    imported: int
    skipped: dict[str, int]


class OfferCreated(Offer):
    dates: list[dt.date] = Field(description="the days the ride runs")


class RequestAnswer(Contract):
    request: RideRequest
    matches: list[Match]


class Rematch(Contract):
    passenger: str
    booking: Booking | None = Field(description="the new booking, or null when no ride fits")


class RideCancelled(Contract):
    offer_id: str
    date: dt.date
    passengers: list[Rematch]


class MyCarpool(Contract):
    offers: list[Offer]
    requests: list[RideRequest]
    bookings: list[Booking]


E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"


class CarpoolProfileIn(Contract):
    """A carpooler's number for the booking SMS (proposals, confirmations, cancellations);
    null to stop them."""

    phone: str | None = Field(
        pattern=E164_PATTERN, description="E.164, e.g. +33612345678; null: no SMS"
    )


class CarpoolProfile(Contract):
    username: str
    phone: str | None = Field(description="E.164; SMS carpoolers are known by their number")


# -- personal data (RGPD) ------------------------------------------------------------------------


class TripFigures(Contract):
    """A trip once nobody can be named in it (erasure, retention): what the mobility report
    counts, and nothing that points to a person or an address."""

    date: dt.date
    origin_commune: str | None = None
    destination_commune: str | None = None
    passenger_seats: int
    distance_m: float
    shared_m: float


class CarpoolExport(Contract):
    """Everything carpool holds about one person (RGPD access request)."""

    username: str
    phone: str | None = Field(description="the number they text from, for SMS carpoolers")
    offers: list[Offer]
    requests: list[RideRequest]
    bookings: list[Booking] = Field(description="as passenger and as driver")
    trips: list[Trip]


class CarpoolErased(Contract):
    """What an erasure did: open bookings cancelled (the other party told), records removed."""

    username: str
    bookings_cancelled: int
    offers: int
    requests: int
    bookings: int
    trips_anonymised: int
