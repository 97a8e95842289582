"""One match query: the day's rides through the prefilter, their current stops, the meeting
places near both ends, one travel-time matrix for all points, then exact insertion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from contracts.carpool import Place
from services.carpool.matching.landmarks import AskTimes, RideEnds
from services.carpool.matching.landmarks import feasible as landmark_feasible
from services.carpool.matching.prefilter import TOP_SPEED_MPS, RideTable, shortlist
from services.carpool.matching.search import (
    WALK_MPS,
    AskState,
    Found,
    Matrix,
    PointBook,
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
) -> Search:
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
        order = _through_landmarks(table, order, ask, list(places.values()), marks, matrix_of)
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
    register(book, ask, states, near)
    matrix = matrix_of(book.points)
    found = rank_matches(book, matrix, ask, states, near, limit=limit)
    own = 1 + max(book.add(p) for p in [ask.origin, ask.destination, *(n.location for n in near)])
    return Search(found, versions, len(states), len(table.keys), list(book.points), own)


def _through_landmarks(
    table: RideTable,
    order: list[int],
    ask: AskState,
    places: list[Place],
    marks: list[tuple[float, float]],
    matrix_of: MatrixFn,
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
    marked = [book.add(p) for p in marks]
    small = matrix_of(book.points)
    t = np.array(
        [[small.travel(a, b) for b in range(len(book.points))] for a in range(len(book.points))]
    )
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
