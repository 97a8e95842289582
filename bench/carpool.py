"""Carpool match latency and recall on the real Kempen graph, with the exhaustive search measured
in the same run.

    .venv/bin/python bench/carpool.py [--offers 5000] [--requests 1000] [--exhaustive 40]
                                      [--whole 200] [--rpc 0]

Setup (fixed seed): 600 addresses on the Kempen drive graph, one travel-time matrix over them
(`Router.travel_matrix`, as the routing service computes it), 150 meeting places, `--offers`
active rides on one day (a third already carry a passenger, inserted exactly), `--requests`
passenger requests (departure or arrival windows), all in the real local Redis under a throw-away
tenant and deployment (deleted at the end).

Measured:
- ``match``: the service's own query (`matcher.search`: the day's index from Redis, the
  prefilter, the shortlisted rides and places from Redis, exact insertion), with travel times
  looked up in the precomputed matrix instead of the routing RPC;
- ``routing_matrix``: for a sample of queries, the matrix the routing service would compute for
  that query's points (`Router.travel_matrix` in this process, no RPC), so the two add up;
- ``whole_query``: for the first `--whole` requests, the query as the service runs it, routing
  included (in process, no RPC): with rectangles (`travel_times` from and to the query's own
  points, the rides' legs from the leg cache, the landmark times cached per query points) against
  the N×N path (`travel_matrix` over every point, for the landmarks and for the rides), each
  query timed both ways in the same run, and the rectangles' recall against exhaustive insertion;
- ``whole_query_rpc`` (with `--rpc N`): the same comparison for the first N requests through a
  real routing service (`nameko run services.routing.service` on a RabbitMQ vhost of its own,
  this graph, the local Redis), called over RPC exactly as the carpool service does
  (`flows.times_from_routing`: two `travel_times` calls, each both ways;
  `flows.matrix_from_routing`: two `travel_matrix` calls, the small one for the landmarks and
  the one over every point);
- ``exhaustive``: exact insertion into every ride of the day, no prefilter, for the first
  `--exhaustive` requests; recall = matches the service finds / matches the exhaustive search
  finds (every feasible (request, ride) pair, and the best ride of each request), for the
  prefilter at the graph's top speed (a proven lower bound) and at 80 km/h (not one).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import redis

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from contracts.carpool import Needs, Offer, OfferIn, Place  # noqa: E402
from services.carpool import matcher, road_version  # noqa: E402
from services.carpool.matcher import MAX_CANDIDATES, search  # noqa: E402
from services.carpool.matching import landmarks  # noqa: E402
from services.carpool.matching.insertion import Ask, Candidate, best_insertion  # noqa: E402
from services.carpool.matching.prefilter import TOP_SPEED_MPS  # noqa: E402
from services.carpool.matching.search import (  # noqa: E402
    AskState,
    Matrix,
    PointBook,
    PromisedStop,
    as_ride,
    direct_budget,
    promised,
    rank_matches,
)
from services.carpool.ride_index import RideIndex  # noqa: E402
from services.carpool.rides import nearby, prefilter_row, ride_key, ride_state  # noqa: E402
from services.carpool.store import CarpoolStore, stops_json, stops_of  # noqa: E402
from services.common.settings import Settings  # noqa: E402
from services.routing.artefact import load_graph  # noqa: E402
from services.routing.graph import build_from_osm_file, write_artefact  # noqa: E402
from services.routing.matrix import Router  # noqa: E402
from services.routing.rectangle import travel_times  # noqa: E402

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
        self.matrix = Matrix(_nullable(full.durations_s), _nullable(full.distances_m))
        self.args = args

    def matrix_of(self, points: Any) -> Matrix:
        """The routing RPC's answer for these points, looked up in the pool's matrix."""
        index = np.array([self.book.add(p) for p in points])
        if len(self.book.points) > POOL:
            raise ValueError("a query asked for a point outside the pool")
        grid = np.ix_(index, index)
        return Matrix(_nullable(self.durations[grid]), _nullable(self.distances[grid]))


def _nullable(values: np.ndarray) -> list[list[float | None]]:
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
        store.save_offer(tenant, offer, [(key, row)], {"bench": True})
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


def exhaustive(
    setup: Setup, store: CarpoolStore, tenant: str, ask: AskState
) -> tuple[set[str], str | None]:
    """Exact insertion into every ride of the day: the rides that can take `ask`, and the best."""
    rows = store.day_rows(tenant, DAY)
    raw = store.rides(tenant, [k for k, _, _ in rows])
    offers = store.offers(tenant, (k.split("@")[0] for k in raw))
    rides = [
        ride_state(k, offers[k.split("@")[0]], stops_of(v.get("stops"))) for k, v in raw.items()
    ]
    places = [
        p for end in (ask.origin, ask.destination)
        for p in store.places_near(tenant, end, ask.max_walk_m)
    ]  # fmt: skip
    found = rank_matches(setup.book, setup.matrix, ask, rides, nearby(places), limit=10**9)
    return {f.ride.key for f in found}, (found[0].ride.key if found else None)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--exhaustive", type=int, default=40)
    parser.add_argument("--whole", type=int, default=200, help="queries timed with routing")
    parser.add_argument("--rpc", type=int, default=0, help="queries timed through routing RPCs")
    parser.add_argument("--cap", type=int, default=MAX_CANDIDATES, help="rides per query")
    args = parser.parse_args()
    setup = Setup(args)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    deployment = f"bench-carpool-{uuid.uuid4().hex[:6]}"
    settings = Settings.model_validate(
        {"REDIS_URL": redis_url, "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{deployment}"}
    )
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    store = CarpoolStore(client, settings)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        started = time.perf_counter()
        offers = make_offers(setup, args.offers)
        populate(store, tenant, offers, setup)
        asks = make_asks(setup, offers, args.requests)
        setup_s = time.perf_counter() - started
        results = run(setup, store, tenant, asks, args)
        results["setup"] = {
            "graph": "flanders-kempen-2013_drive (OSM)",
            "pool_points": POOL,
            "pool_matrix_s": round(setup.pool_matrix_s, 3),
            "offers": len(offers),
            "offers_with_a_passenger": sum(1 for _, s in offers if s),
            "requests": len(asks),
            "meeting_places": PLACES,
            "setup_s": round(setup_s, 1),
        }
    finally:
        for key in client.scan_iter(f"carpool:{tenant}:*", count=1000):
            client.delete(key)
        client.delete(f"carpool:_:{deployment}:outbox", f"carpool:_:{deployment}:pending")
        client.close()
    print(json.dumps(results, indent=1))
    return 0


def run(
    setup: Setup, store: CarpoolStore, tenant: str, asks: list[AskState], args: argparse.Namespace
) -> dict[str, Any]:
    fast_ms, routing_ms, shortlisted, found_any = [], [], [], 0
    rectangle_ms: list[float] = []
    fast_sets: list[set[str]] = []
    slow_sets: list[set[str]] = []
    fast_best: list[str | None] = []
    cache = RideIndex()  # as the service keeps it, per process
    for index, ask in enumerate(asks):
        started = time.perf_counter()
        result = search(
            store, tenant, ask, DAY, setup.matrix_of, limit=3, index=cache,
            max_candidates=args.cap,
        )  # fmt: skip
        fast_ms.append((time.perf_counter() - started) * 1000)
        shortlisted.append(result.shortlisted)
        found_any += bool(result.found)
        if index < args.exhaustive:
            every = search(store, tenant, ask, DAY, setup.matrix_of, limit=10**9, index=cache,
                           max_candidates=args.cap)  # fmt: skip
            fast_sets.append({f.ride.key for f in every.found})
            fast_best.append(result.found[0].ride.key if result.found else None)
            slow = search(store, tenant, ask, DAY, setup.matrix_of, limit=10**9,
                          speed_mps=SLOW_SPEED_MPS, index=cache,
                          max_candidates=args.cap)  # fmt: skip
            slow_sets.append({f.ride.key for f in slow.found})
        # What routing computes for this query: one matrix over its points.
        if index < 100 and result.matrix_points:
            started = time.perf_counter()
            setup.router.travel_matrix([list(p) for p in result.matrix_points])
            routing_ms.append((time.perf_counter() - started) * 1000)
            # The same query's times to and from its own points only (two rectangles).
            mine = [list(p) for p in result.matrix_points[: result.query_points]]
            every = [list(p) for p in result.matrix_points]
            started = time.perf_counter()
            travel_times(setup.router, every, mine)
            travel_times(setup.router, mine, every)
            rectangle_ms.append((time.perf_counter() - started) * 1000)
    exhaustive_ms, exact_sets, exact_best = [], [], []
    for ask in asks[: args.exhaustive]:
        started = time.perf_counter()
        keys, best = exhaustive(setup, store, tenant, ask)
        exhaustive_ms.append((time.perf_counter() - started) * 1000)
        exact_sets.append(keys)
        exact_best.append(best)
    total = sum(len(s) for s in exact_sets)
    whole = whole_queries(setup, store, tenant, asks, args, exact_sets, exact_best, cache)
    through_rpc = rpc_queries(setup, store, tenant, asks[: args.rpc], cache) if args.rpc else None

    def recall(sets: list[set[str]]) -> float:
        hit = sum(len(s & e) for s, e in zip(sets, exact_sets, strict=True))
        return round(hit / total, 4) if total else 1.0

    best_same = sum(
        1 for f, e in zip(fast_best, exact_best, strict=True) if e is not None and f == e
    )
    with_best = sum(1 for e in exact_best if e is not None)
    return {
        "match": {
            "p50_ms": round(percentile(fast_ms, 50), 2),
            "p95_ms": round(percentile(fast_ms, 95), 2),
            "mean_ms": round(statistics.fmean(fast_ms), 2),
            "shortlisted_p50": percentile([float(s) for s in shortlisted], 50),
            "shortlisted_p95": percentile([float(s) for s in shortlisted], 95),
            "requests_with_a_match": found_any,
            "prefilter_speed_kmh": round(TOP_SPEED_MPS * 3.6),
            "note": "Redis reads, prefilter and exact insertion; travel times looked up",
        },
        "routing_matrix_for_a_query": {
            "p50_ms": round(percentile(routing_ms, 50), 2),
            "p95_ms": round(percentile(routing_ms, 95), 2),
            "sample": len(routing_ms),
            "note": "Router.travel_matrix over the query's points, in process (no RPC)",
        },
        "routing_rectangles_for_a_query": {
            "p50_ms": round(percentile(rectangle_ms, 50), 2),
            "p95_ms": round(percentile(rectangle_ms, 95), 2),
            "note": "travel_times(all points, query points) + (query points, all points); "
            "without the rides' own legs; routing keeps its last rows (row_cache.py)",
        },
        "whole_query": whole,
        **({"whole_query_rpc": through_rpc} if through_rpc else {}),
        "exhaustive": {
            "p50_ms": round(percentile(exhaustive_ms, 50), 2),
            "p95_ms": round(percentile(exhaustive_ms, 95), 2),
            "requests": len(exhaustive_ms),
            "feasible_pairs": total,
        },
        "recall": {
            "top_speed_prefilter": recall(fast_sets),
            "best_ride_same_as_exhaustive": round(best_same / with_best, 4) if with_best else 1.0,
            "at_80_kmh_prefilter": recall(slow_sets),
        },
        "speedup_vs_exhaustive_p50": round(
            percentile(exhaustive_ms, 50) / max(percentile(fast_ms, 50), 1e-9), 1
        ),
    }


def same_top3(ours: list[Any], theirs: list[Any]) -> bool:
    """The same rides in the same order, scores within 0.01 s (routing answers to 1 ms)."""
    return [f.ride.key for f in ours] == [f.ride.key for f in theirs] and all(
        abs(a.score - b.score) < 0.01 for a, b in zip(ours, theirs, strict=True)
    )


def whole_queries(
    setup: Setup,
    store: CarpoolStore,
    tenant: str,
    asks: list[AskState],
    args: argparse.Namespace,
    exact_sets: list[set[str]],
    exact_best: list[str | None],
    cache: RideIndex,
) -> dict[str, Any]:
    """Each query timed with routing in it, rectangles then N×N, alternately on the same ask."""
    router = setup.router

    def times_of(sources: Any, targets: Any, both_ways: bool) -> Any:
        found = travel_times(router, sources, targets)
        back = travel_times(router, targets, sources) if both_ways else None
        return (
            (found.durations_s.tolist(), found.distances_m.tolist()),
            (back.durations_s.tolist(), back.distances_m.tolist()) if back else None,
        )

    def matrix_of(points: Any) -> Matrix:
        found = router.travel_matrix([list(p) for p in points])
        return Matrix(_nullable(found.durations_s), _nullable(found.distances_m))

    # Nothing kept from the measures above: the same asks were timed there.
    router._row_cache.clear()
    matcher._LANDMARK_CACHE.clear()
    travel_times(router, setup.points[:2], setup.points[:2])  # warm: the reversed graph
    rect_ms, full_ms, same = [], [], 0
    rect_sets: list[set[str]] = []
    rect_best: list[str | None] = []
    for index, ask in enumerate(asks[: args.whole]):
        started = time.perf_counter()
        rect = search(store, tenant, ask, DAY, setup.matrix_of, limit=3, index=cache,
                      times_of=times_of)  # fmt: skip
        rect_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        full = search(store, tenant, ask, DAY, matrix_of, limit=3, index=cache)
        full_ms.append((time.perf_counter() - started) * 1000)
        same += same_top3(rect.found, full.found)
        if index < len(exact_sets):
            every = search(store, tenant, ask, DAY, setup.matrix_of, limit=10**9, index=cache,
                           times_of=times_of)  # fmt: skip
            rect_sets.append({f.ride.key for f in every.found})
            rect_best.append(rect.found[0].ride.key if rect.found else None)
    total = sum(len(s) for s in exact_sets[: len(rect_sets)])
    hit = sum(len(s & e) for s, e in zip(rect_sets, exact_sets, strict=False))
    with_best = [(f, e) for f, e in zip(rect_best, exact_best, strict=False) if e is not None]
    return {
        "queries": len(rect_ms),
        "rectangles_p50_ms": round(percentile(rect_ms, 50), 2),
        "rectangles_p95_ms": round(percentile(rect_ms, 95), 2),
        "n_by_n_p50_ms": round(percentile(full_ms, 50), 2),
        "n_by_n_p95_ms": round(percentile(full_ms, 95), 2),
        "same_top_3_as_n_by_n": same,
        "recall_rectangles": round(hit / total, 4) if total else 1.0,
        "best_ride_same_as_exhaustive": (
            round(sum(f == e for f, e in with_best) / len(with_best), 4) if with_best else 1.0
        ),
        "note": "search with routing in process (no RPC): travel_times rectangles + leg cache "
        "+ landmark cache, against travel_matrix over all points; same asks, same run",
    }


def round_kept_legs(store: CarpoolStore, tenant: str) -> None:
    """The rides' kept legs as the service keeps them: from routing's answers, to 1 ms."""
    key = store.k(tenant, "legs", DAY)
    kept: dict[str, str] = store.client.hgetall(key)  # type: ignore[assignment]
    if kept:
        store.client.hset(key, mapping={f: repr(round(float(v), 3)) for f, v in kept.items()})


def rpc_queries(
    setup: Setup, store: CarpoolStore, tenant: str, asks: list[AskState], cache: RideIndex
) -> dict[str, Any]:
    """The whole query through a real routing service, over RPC, both ways, alternately."""
    from nameko.exceptions import UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.carpool import flows

    vhost = f"bocage-bench-carpool-{uuid.uuid4().hex[:6]}"
    api, auth = "http://127.0.0.1:15672/api", ("guest", "guest")
    httpx.put(f"{api}/vhosts/{vhost}", auth=auth, timeout=10).raise_for_status()
    everything = {"configure": ".*", "write": ".*", "read": ".*"}
    httpx.put(f"{api}/permissions/{vhost}/guest", json=everything, auth=auth, timeout=10)
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    logs = REPO / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AMQP_URI": amqp, "ROUTING_GRAPH": str(setup.graph_path),
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}  # fmt: skip
    with (logs / "carpool-routing.log").open("ab") as log:
        routing = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "infra/nameko.yaml",
             "services.routing.service"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    rect_ms: list[float] = []
    full_ms: list[float] = []
    same = 0
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp, "serializer": "json"}, timeout=120) as proxy:
            deadline = time.monotonic() + 120
            while True:
                try:
                    proxy.routing.travel_times({"sources": [[51.2667, 4.7125]],
                                                "targets": [[51.248, 4.842]]})  # fmt: skip
                    break
                except UnknownService:
                    if time.monotonic() > deadline or routing.poll() is not None:
                        raise SystemExit(
                            "the routing service did not start (var/bench/carpool-routing.log)"
                        ) from None
                    time.sleep(0.5)

            def times_of(sources: Any, targets: Any, both_ways: bool) -> Any:
                return flows.times_from_routing(proxy.routing, sources, targets, both_ways)

            def matrix_of(points: Any) -> Matrix:
                return flows.matrix_from_routing(proxy.routing, points)

            matcher._LANDMARK_CACHE.clear()
            round_kept_legs(store, tenant)
            for ask in asks:
                started = time.perf_counter()
                rect = search(store, tenant, ask, DAY, matrix_of, index=cache, times_of=times_of)
                rect_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                full = search(store, tenant, ask, DAY, matrix_of, index=cache)
                full_ms.append((time.perf_counter() - started) * 1000)
                same += same_top3(rect.found, full.found)
    finally:
        routing.terminate()
        routing.wait(timeout=30)
        httpx.delete(f"{api}/vhosts/{vhost}", auth=auth, timeout=10)
    return {
        "queries": len(rect_ms),
        "rectangles_p50_ms": round(percentile(rect_ms, 50), 2),
        "rectangles_p95_ms": round(percentile(rect_ms, 95), 2),
        "n_by_n_p50_ms": round(percentile(full_ms, 50), 2),
        "n_by_n_p95_ms": round(percentile(full_ms, 95), 2),
        "same_top_3_as_n_by_n": same,
        "note": "through a routing service over RabbitMQ (its own vhost), as the carpool "
        "service calls it; travel_matrix answers are cached in Redis by routing, none repeats",
    }


if __name__ == "__main__":
    raise SystemExit(main())
