"""Exact insertion of a passenger's pickup and drop-off into a ride that may already carry others.

A ride is the driver's origin, the stops already promised to passengers, in order, and the
destination. Every position pair (pickup before drop-off) and every pickup and drop-off candidate
(the passenger's own point, meeting places within walking distance) is tried; a candidate is kept
when all of these hold:

- the driver leaves within their departure window (waiting at a stop is allowed);
- every stop is reached within its window: the new passenger's, and for passengers already on
  board their promised time (not before; at most `PROMISE_SLACK_S` later);
- the car never carries more passengers than its seats;
- the driver's time (driving and waiting on the way) stays within the direct drive plus the
  accepted detour.

Leaving at the earliest departure decides the windows exactly (a later start never makes an upper
bound easier to meet); the departure is then delayed by the waiting on the way, as far as every
window allows (the forward time slack): that removes as much waiting as can be removed, so the
detour check on driving plus waiting is exact too.

Times are seconds since local midnight; `travel(a, b)` gives driving seconds between point ids.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PROMISE_SLACK_S = 300  # a promised pickup or drop-off may slip by at most 5 minutes
INF = math.inf

Travel = Callable[[int, int], float]


@dataclass(frozen=True)
class Stop:
    point: int
    earliest: float
    latest: float
    load: int  # + seats at a pickup, - seats at a drop-off
    ref: str = ""  # the booking a stop belongs to


@dataclass(frozen=True)
class Ride:
    origin: int
    destination: int
    depart_earliest: float
    depart_latest: float
    seats: int
    direct_s: float
    max_detour_s: float
    stops: tuple[Stop, ...] = ()
    wheelchair: bool = False
    child_seat: bool = False


@dataclass(frozen=True)
class Candidate:
    """Where the passenger can be picked up or dropped: a point and the walk to or from it."""

    point: int
    walk_s: float = 0.0
    walk_m: float = 0.0
    key: str = ""  # a meeting place id, or "" for the passenger's own point


@dataclass(frozen=True)
class Ask:
    pickups: tuple[Candidate, ...]
    dropoffs: tuple[Candidate, ...]
    # Windows on leaving home and on arriving at the destination (after the walk); INF-open.
    depart_after: float = 0.0
    depart_before: float = INF
    arrive_after: float = 0.0
    arrive_by: float = INF
    seats: int = 1
    wheelchair: bool = False
    child_seat: bool = False
    ref: str = "new"


@dataclass(frozen=True)
class Insertion:
    pickup_index: int  # position of the pickup in the new stop list
    dropoff_index: int
    pickup: Candidate
    dropoff: Candidate
    stops: tuple[Stop, ...]  # the ride's stops with the new pickup and drop-off inserted
    departure: float
    pickup_time: float
    dropoff_time: float
    drive_s: float
    detour_s: float  # extra driving caused by this passenger
    wait_s: float  # the passenger's wait is not known; this is the driver's waiting on the way
    walk_m: float
    walk_s: float


@dataclass(frozen=True)
class Schedule:
    departure: float
    times: tuple[float, ...]  # arrival (service) time at each stop, then at the destination
    drive_s: float
    wait_s: float
    slack_s: float  # how much later the driver could leave and still meet every window


def forward(ride: Ride, stops: Sequence[Stop], travel: Travel, departure: float) -> Schedule | None:
    """The times along origin → stops → destination leaving at `departure`, or None when a
    window, a seat count or a missing road breaks (the detour is checked by `plan`)."""
    time, drive, wait, load = departure, 0.0, 0.0, 0
    slack = INF
    here = ride.origin
    times: list[float] = []
    for stop in stops:
        leg = travel(here, stop.point)
        if leg == INF:
            return None
        drive += leg
        time += leg
        if time < stop.earliest:
            wait += stop.earliest - time
            time = stop.earliest
        if time > stop.latest:
            return None
        load += stop.load
        if load > ride.seats:
            return None
        # Leaving d later delays this stop by max(0, d - waiting so far).
        slack = min(slack, wait + stop.latest - time)
        times.append(time)
        here = stop.point
    leg = travel(here, ride.destination)
    if leg == INF:
        return None
    drive += leg
    times.append(time + leg)
    return Schedule(departure, tuple(times), drive, wait, slack)


def plan(ride: Ride, stops: Sequence[Stop], travel: Travel) -> Schedule | None:
    """The schedule that leaves as late as the windows allow (least waiting), if the driver's
    time (driving and waiting) stays within the direct drive plus the accepted detour."""
    early = forward(ride, stops, travel, ride.depart_earliest)
    if early is None:
        return None
    # No later than needed to remove the waiting: the most margin for the promised times.
    delay = min(early.slack_s, ride.depart_latest - ride.depart_earliest, early.wait_s)
    found = early
    if delay > 0:
        later = forward(ride, stops, travel, ride.depart_earliest + delay)
        if later is not None:
            found = later
    if found.drive_s + found.wait_s > ride.direct_s + ride.max_detour_s + 1e-6:
        return None
    return found


def current_drive_s(ride: Ride, travel: Travel) -> float:
    """Driving time of the ride as it is (direct when it carries nobody yet)."""
    points = [ride.origin, *(s.point for s in ride.stops), ride.destination]
    return sum(travel(a, b) for a, b in itertools.pairwise(points))


def best_insertion(ride: Ride, ask: Ask, travel: Travel) -> Insertion | None:
    """The insertion with the least added driving, to 0.1 s (then the least walking), or None."""
    if (ask.wheelchair and not ride.wheelchair) or (ask.child_seat and not ride.child_seat):
        return None
    if ask.seats > ride.seats:
        return None
    base = current_drive_s(ride, travel)
    budget = ride.direct_s + ride.max_detour_s
    best: Insertion | None = None
    best_key = (INF, INF)
    n = len(ride.stops)
    # Each candidate's leg from the origin or to the destination, asked once, not once per pair.
    to_destination = [travel(d.point, ride.destination) for d in ask.dropoffs]
    for pickup in ask.pickups:
        pick_stop = Stop(
            pickup.point,
            ask.depart_after + pickup.walk_s,
            ask.depart_before + pickup.walk_s,
            ask.seats,
            ask.ref,
        )
        # Shortest times obey the triangle inequality: whatever the positions, the drive is at
        # least origin → pickup → drop-off → destination, and the pickup is reached no sooner
        # than origin → pickup. Exact, and it spares most rides the full search.
        to_pickup = travel(ride.origin, pickup.point)
        if ride.depart_earliest + to_pickup > pick_stop.latest:
            continue
        for dropoff, from_dropoff in zip(ask.dropoffs, to_destination, strict=True):
            if pickup.point == dropoff.point:
                continue
            if to_pickup + travel(pickup.point, dropoff.point) + from_dropoff > budget + 1e-6:
                continue
            drop_stop = Stop(
                dropoff.point,
                ask.arrive_after - dropoff.walk_s,
                ask.arrive_by - dropoff.walk_s,
                -ask.seats,
                ask.ref,
            )
            walk_s = pickup.walk_s + dropoff.walk_s
            for i in range(n + 1):
                for j in range(i, n + 1):
                    stops = (
                        *ride.stops[:i],
                        pick_stop,
                        *ride.stops[i:j],
                        drop_stop,
                        *ride.stops[j:],
                    )
                    if _lower_bound(ride, stops, travel) > budget:
                        continue
                    found = plan(ride, stops, travel)
                    if found is None:
                        continue
                    # To 0.1 s: float noise between two equal roads never buys a walk.
                    key = (round(found.drive_s + found.wait_s - base, 1), walk_s)
                    if key >= best_key:
                        continue
                    best_key = key
                    best = Insertion(
                        pickup_index=i,
                        dropoff_index=j + 1,
                        pickup=pickup,
                        dropoff=dropoff,
                        stops=stops,
                        departure=found.departure,
                        pickup_time=found.times[i],
                        dropoff_time=found.times[j + 1],
                        drive_s=found.drive_s,
                        detour_s=found.drive_s + found.wait_s - base,
                        wait_s=found.wait_s,
                        walk_m=pickup.walk_m + dropoff.walk_m,
                        walk_s=walk_s,
                    )
    return best


def _lower_bound(ride: Ride, stops: Sequence[Stop], travel: Travel) -> float:
    # The drive itself: cheap, and it rejects most positions before the windows are checked.
    points = [ride.origin, *(s.point for s in stops), ride.destination]
    return sum(travel(a, b) for a, b in itertools.pairwise(points))
