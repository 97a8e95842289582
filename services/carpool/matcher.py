"""One match query: the day's rides through the prefilter, their current stops, the meeting
places near both ends, one travel-time matrix for all points, then exact insertion."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from contracts.carpool import Place
from services.carpool import road_version
from services.carpool.matching.landmarks import AskTimes, RideEnds
from services.carpool.matching.landmarks import feasible as landmark_feasible
from services.carpool.matching.prefilter import TOP_SPEED_MPS, RideTable, shortlist
from services.carpool.matching.rectangles import (
    Pair,
    TimesFn,
    ask_legs,
    legs_to_find,
    rect_matrix,
)
from services.carpool.matching.search import (
    WALK_MPS,
    AskState,
    Found,
    Matrix,
    PointBook,
    RideState,
    TravelTable,
    rank_matches,
    register,
)
from services.carpool.places import metres
from services.carpool.ride_index import RideIndex
from services.carpool.rides import ask_bounds, nearby, ride_state, split_key
from services.carpool.store import CarpoolStore, stops_of

MatrixFn = Callable[[Sequence[tuple[float, float]]], Matrix]
# Rides per query, the most promising first.
MAX_CANDIDATES = 800  # with their stops, under routing's 2000 points per matrix


@dataclass(frozen=True)
class Search:
    found: list[Found]
    versions: dict[str, str]  # ride key → version the insertion was computed on
    shortlisted: int
    rides_of_day: int
    matrix_points: list[tuple[float, float]] = field(default_factory=list)
    query_points: int = 0  # the first ones of matrix_points: the passenger's ends and places


def search(
    store: CarpoolStore,
    tenant: str,
    ask: AskState,
    day: str,
    matrix_of: MatrixFn,
    *,
    only: str | None = None,
    exclude: frozenset[str] = frozenset(),
    limit: int = 3,
    speed_mps: float = TOP_SPEED_MPS,
    index: RideIndex | None = None,
    max_candidates: int = MAX_CANDIDATES,
    times_of: TimesFn | None = None,
) -> Search:
    """With `times_of` (routing's `travel_times`), only rectangles from and to the query's own
    points are asked, and the rides' own legs come from the leg cache; without it, one N×N
    `matrix_of` over every point (the way before, kept for comparison)."""
    index = index or RideIndex()
    table = index.table(store, tenant, day)
    order = shortlist(table, ask_bounds(ask), speed_mps)
    order = [
        i for i in order
        if table.keys[i] not in exclude and (only is None or table.keys[i] == only)
    ]  # fmt: skip
    places = {
        p.place_id: p
        for end in (ask.origin, ask.destination)
        for p in store.places_near(tenant, end, ask.max_walk_m)
    }
    marks = store.landmarks(tenant)
    if table.ends is not None and marks and order:
        order = _through_landmarks(
            table, order, ask, list(places.values()), marks, matrix_of, times_of
        )
    picked = [table.keys[i] for i in order][:max_candidates]
    raw = store.rides(tenant, picked)
    offers = index.offers(store, tenant, (split_key(k)[0] for k in raw))
    states, versions = [], {}
    for key, ride in raw.items():
        offer = offers.get(split_key(key)[0])
        if offer is None or ride.get("status") != "active":
            continue
        states.append(ride_state(key, offer, stops_of(ride.get("stops"))))
        versions[key] = ride.get("version", "0")
    near = nearby(list(places.values()))
    if not states:
        return Search([], versions, 0, len(table.keys))
    book = PointBook()
    for point in [ask.origin, ask.destination, *(n.location for n in near)]:
        book.add(point)
    own = len(book.points)  # the query's own points come first
    register(book, ask, states, near)
    matrix: TravelTable
    if times_of is None:
        matrix = matrix_of(book.points)
    else:
        matrix = rect_matrix(book, own, states, times_of, _legs(store, tenant, day, book, own,
                                                               states, times_of))  # fmt: skip
    found = rank_matches(book, matrix, ask, states, near, limit=limit)
    return Search(found, versions, len(states), len(table.keys), list(book.points), own)


def _legs(
    store: CarpoolStore,
    tenant: str,
    day: str,
    book: PointBook,
    own: int,
    states: list[RideState],
    times_of: TimesFn,
) -> dict[Pair, float]:
    """The legs of the rides that carry passengers: kept when they were booked; any missing
    (a cancelled booking joined two stops, or kept before this cache) asked once and kept."""
    wanted = legs_to_find(book, own, states)
    kept = store.kept_legs(tenant, day, wanted, road_version.current())
    missing = sorted(wanted - kept.keys())
    if missing:
        asked = ask_legs(missing, times_of)
        store.keep_legs(tenant, day, asked, road_version.current())
        kept.update(asked)
    return kept


def keep_booked_legs(store: CarpoolStore, tenant: str, day: str, found: Found) -> None:
    """After a booking: the ride's new consecutive legs, so the next query need not ask them."""
    ride = found.ride
    points = [ride.origin, *(s.location for s in found.new_stops), ride.destination]
    if len(found.new_legs) != len(points) - 1:
        return
    pairs = [
        ((round(a[0], 5), round(a[1], 5)), (round(b[0], 5), round(b[1], 5)))
        for a, b in itertools.pairwise(points)
    ]
    store.keep_legs(tenant, day, dict(zip(pairs, found.new_legs, strict=True)),
                    road_version.current())  # fmt: skip


def _through_landmarks(
    table: RideTable,
    order: list[int],
    ask: AskState,
    places: list[Place],
    marks: list[tuple[float, float]],
    matrix_of: MatrixFn,
    times_of: TimesFn | None = None,
) -> list[int]:
    """The shortlisted rides that road-time lower bounds (one tiny matrix) do not rule out."""
    assert table.ends is not None
    near_o = [ask.origin] + [p.location for p in places if metres(p.location, ask.origin)
                             <= ask.max_walk_m]  # fmt: skip
    near_d = [ask.destination] + [p.location for p in places if metres(p.location, ask.destination)
                                  <= ask.max_walk_m]  # fmt: skip
    book = PointBook()
    pickups = [book.add(p) for p in near_o]
    dropoffs = [book.add(p) for p in near_d]
    own = len(book.points)
    marked = [book.add(p) for p in marks]
    if times_of is None:
        small = matrix_of(book.points)
        t = np.array(
            [[small.travel(a, b) for b in range(len(book.points))] for a in range(len(book.points))]
        )
    else:
        t = _landmark_times(book, own, times_of)
    t[np.isinf(t)] = np.nan
    walk_s = ask.max_walk_m / WALK_MPS
    times = AskTimes(
        l_to_p=t[np.ix_(marked, pickups)].T,
        p_to_l=t[np.ix_(pickups, marked)],
        l_to_q=t[np.ix_(marked, dropoffs)].T,
        q_to_l=t[np.ix_(dropoffs, marked)],
        p_to_q=np.nan_to_num(t[np.ix_(pickups, dropoffs)], nan=np.inf),
        pickup_latest=np.full(len(pickups), ask.depart_before + walk_s),
        dropoff_latest=np.full(len(dropoffs), ask.arrive_by),
    )
    rows = np.array(order)
    ends = table.ends
    subset = RideEnds(
        ends.from_l_to_o[rows],
        ends.from_o_to_l[rows],
        ends.from_l_to_d[rows],
        ends.from_d_to_l[rows],
    )
    keep = landmark_feasible(subset, times, table.depart_earliest[rows], table.budget_s[rows])
    return [i for i, ok in zip(order, keep, strict=True) if ok]


# The query's points to and from the tenant's landmarks: the same points come back (a meeting
# place, a commune's centre asked by SMS, `find_matches` then `book_ride` on one request).
# Keyed by the road graph too (`road_version`): times from another graph are never reused.
_LANDMARK_CACHE: OrderedDict[tuple[str | None, tuple[tuple[float, float], ...]], np.ndarray] = (
    OrderedDict()
)
LANDMARK_CACHE_SIZE = 512


def _landmark_times(book: PointBook, own: int, times_of: TimesFn) -> np.ndarray:
    """All × all with the query's rows (to everything) and the landmarks' rows (to the query's
    points), from one call both ways; landmark to landmark is never used (INF)."""
    key = (road_version.current(), tuple(book.points))
    cached = _LANDMARK_CACHE.get(key) if key[0] is not None else None
    if cached is not None:
        _LANDMARK_CACHE.move_to_end(key)
        return cached
    n = len(book.points)
    t = np.full((n, n), np.inf)
    (out_s, _), back = times_of(book.points[:own], book.points, True)
    assert back is not None, "asked both ways"
    t[:own, :] = np.array(out_s, dtype=float).reshape(own, n)
    t[own:, :own] = np.array(back[0], dtype=float).reshape(n, own)[own:]
    if road_version.current() is not None:  # kept under the graph these came from
        _LANDMARK_CACHE[(road_version.current(), key[1])] = t
        while len(_LANDMARK_CACHE) > LANDMARK_CACHE_SIZE:
            _LANDMARK_CACHE.popitem(last=False)
    return t
