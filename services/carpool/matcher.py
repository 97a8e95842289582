"""One match query: the day's rides through the prefilter, their current stops, the meeting
places near both ends, one travel-time matrix for all points, then exact insertion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from services.carpool.matching.prefilter import TOP_SPEED_MPS, shortlist
from services.carpool.matching.search import (
    AskState,
    Found,
    Matrix,
    PointBook,
    rank_matches,
    register,
)
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
    picked = [
        table.keys[i]
        for i in order
        if table.keys[i] not in exclude and (only is None or table.keys[i] == only)
    ][:max_candidates]
    raw = store.rides(tenant, picked)
    offers = index.offers(store, tenant, (split_key(k)[0] for k in raw))
    states, versions = [], {}
    for key, ride in raw.items():
        offer = offers.get(split_key(key)[0])
        if offer is None or ride.get("status") != "active":
            continue
        states.append(ride_state(key, offer, stops_of(ride.get("stops"))))
        versions[key] = ride.get("version", "0")
    places = {
        p.place_id: p
        for end in (ask.origin, ask.destination)
        for p in store.places_near(tenant, end, ask.max_walk_m)
    }
    near = nearby(list(places.values()))
    if not states:
        return Search([], versions, 0, len(table.keys))
    book = PointBook()
    register(book, ask, states, near)
    matrix = matrix_of(book.points)
    found = rank_matches(book, matrix, ask, states, near, limit=limit)
    return Search(found, versions, len(states), len(table.keys), list(book.points))
