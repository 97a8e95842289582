"""From a request, the day's candidate rides, nearby meeting places and a travel-time matrix,
to ranked matches. Pure: the caller fetches the rides, the places and the matrix.

Points are numbered by a `PointBook`; the caller asks the routing service for one matrix over
all of them (never one route per candidate), then `rank_matches` runs exact insertion on each.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from services.carpool.matching.insertion import (
    INF,
    PROMISE_SLACK_S,
    Ask,
    Candidate,
    Insertion,
    Ride,
    Stop,
)
from services.carpool.matching.insertion import best_insertion as insert
from services.carpool.matching.ranking import Explained, reason_fr, score

WALK_MPS = 1.2  # about 4.3 km/h; people who walk badly give a shorter `max_walk_m` instead
LatLonT = tuple[float, float]


class PointBook:
    """Distinct points (rounded to ~1 m) and their index in the matrix."""

    def __init__(self) -> None:
        self.points: list[LatLonT] = []
        self._ids: dict[tuple[float, float], int] = {}

    def add(self, point: Sequence[float]) -> int:
        key = (round(float(point[0]), 5), round(float(point[1]), 5))
        if key not in self._ids:
            self._ids[key] = len(self.points)
            self.points.append(key)
        return self._ids[key]


@dataclass(frozen=True)
class PromisedStop:
    """A stop already promised to a booked passenger."""

    location: LatLonT
    earliest: float
    latest: float
    load: int
    booking_id: str


@dataclass(frozen=True)
class RideState:
    key: str  # "<offer_id>@<date>"
    origin: LatLonT
    destination: LatLonT
    depart_earliest: float
    depart_latest: float
    seats: int
    direct_s: float
    max_detour_s: float
    wheelchair: bool = False
    child_seat: bool = False
    stops: tuple[PromisedStop, ...] = ()
    driver_first_name: str = ""


@dataclass(frozen=True)
class NearbyPlace:
    place_id: str
    location: LatLonT
    label: str


@dataclass(frozen=True)
class AskState:
    origin: LatLonT
    destination: LatLonT
    depart_after: float = 0.0
    depart_before: float = INF
    arrive_after: float = 0.0
    arrive_by: float = INF
    seats: int = 1
    wheelchair: bool = False
    child_seat: bool = False
    max_walk_m: float = 800.0
    origin_label: str = ""
    destination_label: str = ""
    ref: str = "new"


@dataclass(frozen=True)
class Found:
    ride: RideState
    insertion: Insertion
    pickup_label: str
    dropoff_label: str
    score: float
    reason: str
    new_stops: tuple[PromisedStop, ...] = field(default=())
    ride_m: float = 0.0  # the passenger's leg on the road, pickup to drop-off
    # The ride's consecutive drive times once booked: origin → new_stops → destination.
    new_legs: tuple[float, ...] = field(default=())


class TravelTable(Protocol):
    """Driving seconds and metres between numbered points (`Matrix`, or rectangles)."""

    def travel(self, a: int, b: int) -> float: ...

    def metres(self, a: int, b: int) -> float: ...


@dataclass
class Matrix:
    durations_s: list[list[float | None]]
    distances_m: list[list[float | None]]

    def travel(self, a: int, b: int) -> float:
        value = self.durations_s[a][b]
        return INF if value is None else float(value)

    def metres(self, a: int, b: int) -> float:
        value = self.distances_m[a][b]
        return INF if value is None else float(value)


def register(
    book: PointBook, ask: AskState, rides: Sequence[RideState], places: Sequence[NearbyPlace]
) -> None:
    """Number every point the matrix must cover."""
    book.add(ask.origin)
    book.add(ask.destination)
    for place in places:
        book.add(place.location)
    for ride in rides:
        book.add(ride.origin)
        book.add(ride.destination)
        for stop in ride.stops:
            book.add(stop.location)


def candidates(
    book: PointBook,
    matrix: TravelTable,
    home: LatLonT,
    home_label: str,
    places: Sequence[NearbyPlace],
    max_walk_m: float,
    outbound: bool,
) -> list[tuple[Candidate, str]]:
    """The passenger's own point and the places within walking distance on the road graph."""
    here = book.add(home)
    found = [(Candidate(here, 0.0, 0.0, ""), home_label)]
    for place in places:
        there = book.add(place.location)
        if there == here:
            continue
        metres = matrix.metres(here, there) if outbound else matrix.metres(there, here)
        back = matrix.metres(there, here) if outbound else matrix.metres(here, there)
        metres = min(metres, back)  # on foot, one-way streets do not apply
        if metres <= max_walk_m:
            found.append((Candidate(there, metres / WALK_MPS, metres, place.place_id), place.label))
    return found


def rank_matches(
    book: PointBook,
    matrix: TravelTable,
    ask: AskState,
    rides: Sequence[RideState],
    places: Sequence[NearbyPlace],
    limit: int = 3,
) -> list[Found]:
    """Every ride the passenger can join, best first (at most `limit`)."""
    pickups = candidates(
        book, matrix, ask.origin, ask.origin_label, places, ask.max_walk_m, outbound=True
    )
    dropoffs = candidates(
        book, matrix, ask.destination, ask.destination_label, places, ask.max_walk_m, False
    )
    labels = {c.point: label for c, label in pickups}
    drop_labels = {c.point: label for c, label in dropoffs}
    request = Ask(
        pickups=tuple(c for c, _ in pickups),
        dropoffs=tuple(c for c, _ in dropoffs),
        depart_after=ask.depart_after,
        depart_before=ask.depart_before,
        arrive_after=ask.arrive_after,
        arrive_by=ask.arrive_by,
        seats=ask.seats,
        wheelchair=ask.wheelchair,
        child_seat=ask.child_seat,
        ref=ask.ref,
    )
    found: list[Found] = []
    for ride in rides:
        numbered = as_ride(book, ride)
        best = insert(numbered, request, matrix.travel)
        if best is None:
            continue
        route = [numbered.origin, *(s.point for s in best.stops), numbered.destination]
        value = score(best.detour_s, best.wait_s, best.walk_s)
        pickup_label = labels[best.pickup.point]
        reason = reason_fr(Explained(best.pickup_time, pickup_label, best.detour_s, best.walk_m))
        found.append(
            Found(
                ride=ride,
                insertion=best,
                pickup_label=pickup_label,
                dropoff_label=drop_labels[best.dropoff.point],
                score=value,
                reason=reason,
                new_stops=promised(book, best, ask.ref),
                ride_m=matrix.metres(best.pickup.point, best.dropoff.point),
                new_legs=tuple(matrix.travel(a, b) for a, b in itertools.pairwise(route)),
            )
        )
    # Scores to 0.1 s: two rides equally good are ordered the same whatever the float noise.
    found.sort(key=lambda f: (round(f.score, 1), round(f.insertion.pickup_time), f.ride.key))
    return found[:limit]


def as_ride(book: PointBook, ride: RideState) -> Ride:
    return Ride(
        origin=book.add(ride.origin),
        destination=book.add(ride.destination),
        depart_earliest=ride.depart_earliest,
        depart_latest=ride.depart_latest,
        seats=ride.seats,
        direct_s=ride.direct_s,
        max_detour_s=ride.max_detour_s,
        wheelchair=ride.wheelchair,
        child_seat=ride.child_seat,
        stops=tuple(
            Stop(book.add(s.location), s.earliest, s.latest, s.load, s.booking_id)
            for s in ride.stops
        ),
    )


def promised(book: PointBook, best: Insertion, booking_id: str) -> tuple[PromisedStop, ...]:
    """The ride's stops after this booking: the new ones promised at their scheduled time."""
    stops: list[PromisedStop] = []
    for index, stop in enumerate(best.stops):
        location = book.points[stop.point]
        if index == best.pickup_index:
            stops.append(
                PromisedStop(
                    location,
                    best.pickup_time,
                    best.pickup_time + PROMISE_SLACK_S,
                    stop.load,
                    booking_id,
                )
            )
        elif index == best.dropoff_index:
            stops.append(
                PromisedStop(
                    location,
                    stop.earliest,
                    best.dropoff_time + PROMISE_SLACK_S,
                    stop.load,
                    booking_id,
                )
            )
        else:
            stops.append(PromisedStop(location, stop.earliest, stop.latest, stop.load, stop.ref))
    return tuple(stops)


def direct_budget(direct_s: float, max_detour_min: float, max_detour_share: float) -> float:
    """The detour a driver accepts: the smaller of the minutes and the share of the direct drive."""
    return min(max_detour_min * 60.0, max_detour_share * direct_s)


def finite(value: float) -> float | None:
    return None if math.isinf(value) else value
