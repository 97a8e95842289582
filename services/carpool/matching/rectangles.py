"""Travel times for one query from rectangles, not from an N×N matrix. Pure.

Exact insertion of a passenger into a ride only ever drives: from the query's own points (the
passenger's ends and the meeting places near them) to anything, from anything to them, and along
the ride's own consecutive legs (origin → promised stops → destination). So a query asks routing
for two rectangles in one call (query points × every point, and back: every point × query
points) and takes the rides' legs from what was kept when their stops were promised: never a
ride-to-ride time.

Points are numbered by a `PointBook` whose first `own` points are the query's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.carpool.matching.insertion import INF
from services.carpool.matching.search import LatLonT, PointBook, RideState

# (durations s, distances m), each len(sources) × len(targets), INF where no road joins them.
Rectangle = tuple[list[list[float]], list[list[float]]]
# (sources, targets, both_ways) → sources × targets, and targets × sources when `both_ways` (else
# None). In production: the routing service's `travel_times`, one call.
TimesFn = Callable[[Sequence[LatLonT], Sequence[LatLonT], bool], tuple[Rectangle, Rectangle | None]]
Pair = tuple[LatLonT, LatLonT]


class MissingLeg(LookupError):
    """A time between two ride points that no rectangle and no kept leg gives: a bug."""


@dataclass
class RectMatrix:
    """`travel(a, b)` / `metres(a, b)` by point number, as `search.Matrix`, over rectangles."""

    own: int
    out_s: list[list[float]]  # own × all
    out_m: list[list[float]]
    in_s: list[list[float]]  # all × own
    in_m: list[list[float]]
    legs: dict[tuple[int, int], float]  # ride point → ride point, both beyond `own`

    def travel(self, a: int, b: int) -> float:
        if a < self.own:
            return self.out_s[a][b]
        if b < self.own:
            return self.in_s[a][b]
        if a == b:
            return 0.0
        try:
            return self.legs[(a, b)]
        except KeyError:
            raise MissingLeg(f"no time kept from point {a} to point {b}") from None

    def metres(self, a: int, b: int) -> float:
        if a < self.own:
            return self.out_m[a][b]
        if b < self.own:
            return self.in_m[a][b]
        raise MissingLeg(f"no distance between ride points {a} and {b}")


def ride_pairs(ride: RideState) -> list[Pair]:
    """The ride's consecutive legs, origin → stops → destination, as coordinate pairs."""
    points = [ride.origin, *(s.location for s in ride.stops), ride.destination]
    return list(itertools.pairwise(points))


def legs_to_find(book: PointBook, own: int, rides: Iterable[RideState]) -> set[Pair]:
    """The ride legs a rectangle does not give (both ends beyond the query's points), except the
    direct drive of an empty ride, known from its offer."""
    wanted: set[Pair] = set()
    for ride in rides:
        if not ride.stops:
            continue
        for a, b in ride_pairs(ride):
            if book.add(a) >= own and book.add(b) >= own and book.add(a) != book.add(b):
                wanted.add((book.points[book.add(a)], book.points[book.add(b)]))
    return wanted


def rect_matrix(
    book: PointBook,
    own: int,
    rides: Iterable[RideState],
    times_of: TimesFn,
    kept: Mapping[Pair, float],
) -> RectMatrix:
    """Two rectangles over the book's points (one call), and the rides' legs from `kept` (empty
    rides: their direct drive)."""
    (out_s, out_m), back = times_of(book.points[:own], book.points, True)
    assert back is not None, "asked both ways"
    in_s, in_m = back
    legs: dict[tuple[int, int], float] = {}
    for ride in rides:
        o, d = book.add(ride.origin), book.add(ride.destination)
        if not ride.stops:
            if o >= own and d >= own:
                legs[(o, d)] = ride.direct_s
            continue
        for a, b in ride_pairs(ride):
            i, j = book.add(a), book.add(b)
            if i >= own and j >= own and i != j:
                legs[(i, j)] = kept[(book.points[i], book.points[j])]
    return RectMatrix(own, out_s, out_m, in_s, in_m, legs)


def ask_legs(pairs: Sequence[Pair], times_of: TimesFn) -> dict[Pair, float]:
    """The times of these legs from one rectangle over their distinct ends."""
    if not pairs:
        return {}
    sources = sorted({a for a, _ in pairs})
    targets = sorted({b for _, b in pairs})
    (durations, _), _ = times_of(sources, targets, False)
    row = {p: i for i, p in enumerate(sources)}
    col = {p: j for j, p in enumerate(targets)}
    return {(a, b): durations[row[a]][col[b]] for a, b in pairs}


def finite_or_inf(value: float | None) -> float:
    return INF if value is None else float(value)
