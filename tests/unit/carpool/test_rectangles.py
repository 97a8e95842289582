"""A query's travel times from two rectangles and the rides' kept legs find exactly the matches an
N×N matrix finds, and never need a time from one ride's point to another's."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest

from services.carpool.matching.rectangles import (
    MissingLeg,
    Pair,
    Rectangle,
    ask_legs,
    legs_to_find,
    rect_matrix,
)
from services.carpool.matching.search import (
    AskState,
    Matrix,
    NearbyPlace,
    PointBook,
    PromisedStop,
    RideState,
    rank_matches,
    register,
)

pytestmark = pytest.mark.unit
LatLon = tuple[float, float]
H = 3600.0


def drive(a: LatLon, b: LatLon) -> float:
    """A one-way-ish grid: going north or east costs more than coming back (a quasi-metric)."""
    north, east = b[0] - a[0], b[1] - a[1]
    return (max(north, 0) * 1.2 + max(-north, 0)) * 9_000 + (
        max(east, 0) * 1.1 + max(-east, 0)
    ) * 6_000


def metres(a: LatLon, b: LatLon) -> float:
    return drive(a, b) * 12.0


class Routing:
    """`travel_times` over `drive`, remembering what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[list[LatLon], list[LatLon]]] = []

    def __call__(
        self, sources: Sequence[LatLon], targets: Sequence[LatLon], both_ways: bool
    ) -> tuple[Rectangle, Rectangle | None]:
        self.asked.append((list(sources), list(targets)))
        out = (
            [[drive(s, t) for t in targets] for s in sources],
            [[metres(s, t) for t in targets] for s in sources],
        )
        back = (
            [[drive(t, s) for s in sources] for t in targets],
            [[metres(t, s) for s in sources] for t in targets],
        )
        return out, (back if both_ways else None)


def ride(
    key: str, origin: LatLon, destination: LatLon, stops: tuple[PromisedStop, ...] = ()
) -> RideState:
    direct = drive(origin, destination)
    return RideState(
        key=key, origin=origin, destination=destination, depart_earliest=8 * H,
        depart_latest=8 * H + 1800, seats=3, direct_s=direct, max_detour_s=min(900, direct / 3),
        stops=stops, driver_first_name="Jan",
    )  # fmt: skip


def rides() -> list[RideState]:
    on_board = (
        PromisedStop((50.02, 4.0), 8 * H + 120, 8 * H + 1500, 1, "b-1"),
        PromisedStop((50.05, 4.01), 8 * H + 600, 8 * H + 2400, -1, "b-1"),
    )
    return [
        ride("o-empty@d", (50.0, 4.0), (50.1, 4.0)),
        ride("o-busy@d", (50.0, 4.001), (50.1, 4.002), on_board),
        ride("o-far@d", (50.3, 4.3), (50.4, 4.3)),
        ride("o-back@d", (50.1, 4.0), (50.0, 4.0)),
    ]


def full_matrix(book: PointBook) -> Matrix:
    pts = book.points
    return Matrix(
        [[drive(a, b) for b in pts] for a in pts],  # type: ignore[misc]
        [[metres(a, b) for b in pts] for a in pts],  # type: ignore[misc]
    )


def test_rectangles_find_the_same_matches_as_the_full_matrix_and_no_ride_to_ride_time() -> None:
    ask = AskState(
        origin=(50.03, 4.0), destination=(50.07, 4.0), depart_after=8 * H, depart_before=9 * H,
        max_walk_m=800,
    )  # fmt: skip
    near = [NearbyPlace("pl-1", (50.031, 4.0), "aire de covoiturage de Mol")]
    states = rides()
    book = PointBook()
    for point in (ask.origin, ask.destination, near[0].location):
        book.add(point)
    own = len(book.points)
    register(book, ask, states, near)
    routing = Routing()
    wanted = legs_to_find(book, own, states)
    # Only the ride that carries someone has legs to keep: origin → pickup → drop-off → end.
    assert len(wanted) == 3
    kept = ask_legs(sorted(wanted), routing)
    routing.asked.clear()
    rect = rect_matrix(book, own, states, routing, kept)
    by_rect = rank_matches(book, rect, ask, states, near, limit=10)
    by_full = rank_matches(book, full_matrix(book), ask, states, near, limit=10)
    assert [f.ride.key for f in by_rect] == [f.ride.key for f in by_full] != []
    assert {f.ride.key for f in by_rect} == {"o-empty@d", "o-busy@d"}
    for a, b in zip(by_rect, by_full, strict=True):
        assert a.insertion == b.insertion and a.reason == b.reason
        assert a.new_legs == pytest.approx(b.new_legs)
    # One call, both ways, from the query's own points.
    assert routing.asked == [(book.points[:own], book.points)]


def test_a_missing_ride_leg_is_an_error_not_a_silent_infinity() -> None:
    book = PointBook()
    book.add((50.03, 4.0))
    states = rides()
    for s in states:
        book.add(s.origin)
        book.add(s.destination)
        for stop in s.stops:
            book.add(stop.location)
    rect = rect_matrix(book, 1, states[:1], Routing(), {})
    far, back = book.add(states[2].origin), book.add(states[3].destination)
    with pytest.raises(MissingLeg):
        rect.travel(far, back)


def test_legs_asked_in_one_rectangle_are_the_drive_times() -> None:
    points: list[LatLon] = [(50.0, 4.0), (50.02, 4.0), (50.05, 4.01), (50.1, 4.002)]
    pairs: list[Pair] = list(itertools.pairwise(points))
    routing = Routing()
    legs = ask_legs(pairs, routing)
    assert len(routing.asked) == 1
    assert [legs[p] for p in pairs] == pytest.approx([drive(a, b) for a, b in pairs])
    assert np.isfinite(list(legs.values())).all()
