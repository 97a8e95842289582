"""The carpool benchmark's fixed world (bench/carpool.py): 600 addresses on the Kempen drive
graph with their travel-time matrix, 150 meeting places, the day's offers (a third already carry
a passenger, inserted exactly as the service does) and the passengers' requests, written to Redis
as the service writes them. Fixed seed: every run measures the same world."""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from contracts.carpool import Needs, Offer, OfferIn, Place  # noqa: E402
from services.carpool import road_version  # noqa: E402
from services.carpool.matching import landmarks  # noqa: E402
from services.carpool.matching.insertion import Ask, Candidate, best_insertion  # noqa: E402
from services.carpool.matching.search import (  # noqa: E402
    AskState,
    Matrix,
    PointBook,
    PromisedStop,
    as_ride,
    direct_budget,
    promised,
)
from services.carpool.rides import prefilter_row, ride_key, ride_state  # noqa: E402
from services.carpool.store import CarpoolStore, stops_json  # noqa: E402
from services.routing.artefact import load_graph  # noqa: E402
from services.routing.graph import build_from_osm_file, write_artefact  # noqa: E402
from services.routing.matrix import Router  # noqa: E402

DATA = Path(os.environ.get("BOCAGE_SHARED_DATA", REPO.parent / "shared" / "data")) / "osm"
SEED = 2026
DAY = "2030-06-03"
POOL = 600
PLACES = 150
SLOW_SPEED_MPS = 80 / 3.6


def hhmm(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def kempen_graph() -> Path:
    graphs = sorted((REPO / "var" / "graphs").glob("flanders-kempen-2013_drive-*.npz"))
    if graphs:
        return graphs[-1]
    graph = build_from_osm_file(DATA / "flanders-kempen-2013_drive.osm")
    return write_artefact(graph, REPO / "var" / "graphs", "flanders-kempen-2013_drive")


def pool_points(router: Router, rng: np.random.Generator) -> list[tuple[float, float]]:
    graph = router.graph
    nodes = rng.choice(graph.n_nodes, POOL, replace=False)
    return [(round(float(graph.node_lat[n]), 5), round(float(graph.node_lon[n]), 5)) for n in nodes]


class Setup:
    def __init__(self, args: argparse.Namespace) -> None:
        self.rng = np.random.default_rng(SEED)
        self.graph_path = kempen_graph()
        self.router = Router(load_graph(self.graph_path))
        # Routing serves this graph: what is kept from it is keyed by its version, as in the
        # service once routing has answered.
        road_version.heard({"graph_version": self.router.graph.version})
        self.points = pool_points(self.router, self.rng)
        started = time.perf_counter()
        full = self.router.travel_matrix(self.points)
        self.pool_matrix_s = time.perf_counter() - started
        self.book = PointBook()
        for p in self.points:
            self.book.add(p)
        assert len(self.book.points) == POOL, "pool points must be distinct"
        self.durations = full.durations_s
        self.distances = full.distances_m
        self.matrix = Matrix(nullable(full.durations_s), nullable(full.distances_m))
        self.args = args

    def matrix_of(self, points: Any) -> Matrix:
        """The routing RPC's answer for these points, looked up in the pool's matrix."""
        index = np.array([self.book.add(p) for p in points])
        if len(self.book.points) > POOL:
            raise ValueError("a query asked for a point outside the pool")
        grid = np.ix_(index, index)
        return Matrix(nullable(self.durations[grid]), nullable(self.distances[grid]))


def nullable(values: np.ndarray) -> list[list[float | None]]:
    """As the routing RPC answers: lists, None where no path exists."""
    rows: list[list[float | None]] = np.where(np.isinf(values), np.nan, values).tolist()
    return [[None if v != v else v for v in row] for row in rows]


def make_offers(setup: Setup, count: int) -> list[tuple[Offer, tuple[PromisedStop, ...]]]:
    rng, points, matrix = setup.rng, setup.points, setup.matrix
    offers = []
    while len(offers) < count:
        a, b = (int(x) for x in rng.choice(POOL, 2, replace=False))
        direct = matrix.travel(a, b)
        if not 300 <= direct < 1e9:
            continue
        start = float(rng.integers(6 * 60, 19 * 60)) * 60
        given = OfferIn(
            origin=points[a], destination=points[b], date=DAY,
            depart_earliest=hhmm(start), depart_latest=hhmm(start + rng.integers(0, 4) * 600),
            seats=int(rng.integers(1, 5)), first_name="Jan",
            takes=Needs(wheelchair=bool(rng.random() < 0.1), child_seat=bool(rng.random() < 0.3)),
        )  # fmt: skip
        offer = Offer(
            offer_id=f"o-{len(offers):05d}", driver=f"d{len(offers)}", offer=given,
            direct_s=direct, direct_m=matrix.metres(a, b),
            max_detour_s=direct_budget(direct, 15, 1 / 3), created_at="2030-06-01T00:00:00Z",
        )  # fmt: skip
        stops: tuple[PromisedStop, ...] = ()
        if rng.random() < 1 / 3:
            stops = passenger_on_board(setup, offer)
        offers.append((offer, stops))
    return offers


def passenger_on_board(setup: Setup, offer: Offer) -> tuple[PromisedStop, ...]:
    """A passenger already booked, inserted exactly like the service does."""
    ride = as_ride(setup.book, ride_state("x", offer, ()))
    for _ in range(20):
        p, q = (int(x) for x in setup.rng.choice(POOL, 2, replace=False))
        ask = Ask(pickups=(Candidate(p),), dropoffs=(Candidate(q),), ref="b-on-board")
        found = best_insertion(ride, ask, setup.matrix.travel)
        if found is not None:
            return promised(setup.book, found, "b-on-board")
    return ()


def make_asks(setup: Setup, offers: list[Any], count: int) -> list[AskState]:
    """Half along an offered ride's road (people ask where cars go), half anywhere."""
    rng, points = setup.rng, setup.points
    asks = []
    while len(asks) < count:
        if rng.random() < 0.5:
            offer = offers[int(rng.integers(len(offers)))][0].offer
            near_o = nearest(setup, offer.origin, rng)
            near_d = nearest(setup, offer.destination, rng)
            a, b = near_o, near_d
            at = float(int(offer.depart_earliest[:2]) * 3600 + int(offer.depart_earliest[3:]) * 60)
        else:
            a, b = (int(x) for x in rng.choice(POOL, 2, replace=False))
            at = float(rng.integers(6 * 60, 20 * 60)) * 60
        if a == b:
            continue
        if rng.random() < 0.7:
            ask = AskState(points[a], points[b], depart_after=at - 600, depart_before=at + 1800)
        else:
            travel = setup.matrix.travel(a, b)
            if travel > 1e9:
                continue
            by = at + travel + 1800
            ask = AskState(points[a], points[b], arrive_after=by - 3600, arrive_by=by)
        asks.append(ask)
    return asks


def nearest(setup: Setup, point: Any, rng: np.random.Generator) -> int:
    """One of the 5 pool points nearest to `point` (by the road)."""
    here = setup.book.add(point)
    order = sorted(range(POOL), key=lambda j: setup.matrix.metres(here, j))
    return int(order[int(rng.integers(0, 5))])


def populate(store: CarpoolStore, tenant: str, offers: list[Any], setup: Setup) -> None:
    places_at = setup.rng.choice(POOL, PLACES, replace=False)
    store.save_places(
        tenant,
        [Place(place_id=f"pl-{i}", name=f"Aire {i}", location=setup.points[int(i)])
         for i in places_at],
    )  # fmt: skip
    # As the service does at the tenant's first offer: landmarks spread over the places.
    marks = store.keep_landmarks(
        tenant, landmarks.choose([setup.points[int(i)] for i in places_at])
    )
    marked = [setup.book.add(p) for p in marks]
    for offer, stops in offers:
        key = ride_key(offer.offer_id, DAY)
        o = setup.book.add(offer.offer.origin)
        d = setup.book.add(offer.offer.destination)
        row = prefilter_row(offer, landmarks.end_columns(setup.matrix.travel, o, d, marked))
        # As the service saves it: the row names the graph its landmark times came from (a row
        # without one loses its landmark bounds in the prefilter).
        store.save_offer(tenant, offer, [(key, row)], {"bench": True}, road_version.current())
        if stops:
            store.client.hset(store.k(tenant, "ride", key), "stops", stops_json(stops))
            # As the service keeps them when it books: the ride's legs through its stops.
            route = [offer.offer.origin, *(s.location for s in stops), offer.offer.destination]
            ids = [setup.book.add(p) for p in route]
            store.keep_legs(
                tenant,
                DAY,
                {
                    (setup.book.points[a], setup.book.points[b]): setup.matrix.travel(a, b)
                    for a, b in itertools.pairwise(ids)
                },
                road_version.current(),
            )
