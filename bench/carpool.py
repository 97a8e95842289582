"""Carpool match latency and recall on the real Kempen graph, with the exhaustive search measured
in the same run.

    .venv/bin/python bench/carpool.py [--offers 5000] [--requests 1000] [--exhaustive 40]
                                      [--whole 200] [--rpc 0]

Setup (fixed seed, `bench/carpool_setup.py`): 600 addresses on the Kempen drive graph, one
travel-time matrix over them (`Router.travel_matrix`, as the routing service computes it), 150
meeting places, `--offers` active rides on one day (a third already carry a passenger, inserted
exactly), `--requests` passenger requests (departure or arrival windows), all in the real local
Redis under a throw-away tenant and deployment (deleted at the end).

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
import redis

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.carpool_setup import (  # noqa: E402
    DAY,
    PLACES,
    POOL,
    SLOW_SPEED_MPS,
    Setup,
    make_asks,
    make_offers,
    nullable,
    percentile,
    populate,
)
from services.carpool import matcher  # noqa: E402
from services.carpool.matcher import MAX_CANDIDATES, search  # noqa: E402
from services.carpool.matching.prefilter import TOP_SPEED_MPS  # noqa: E402
from services.carpool.matching.search import (  # noqa: E402
    AskState,
    Matrix,
    rank_matches,
)
from services.carpool.ride_index import RideIndex  # noqa: E402
from services.carpool.rides import nearby, ride_state  # noqa: E402
from services.carpool.store import CarpoolStore, stops_of  # noqa: E402
from services.common.settings import Settings  # noqa: E402
from services.routing.rectangle import travel_times  # noqa: E402


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
        return Matrix(nullable(found.durations_s), nullable(found.distances_m))

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
