"""Live tracking of meal rounds on the Kempen road graph, with its naive peer in the same run.

Prints one JSON object:
- `cpu`: the CPU per position update of our ETA computation (one single-source search from the
  vehicle's snapped position to its next stop; the legs between the remaining stops come from the
  matrix computed once at the round's start) against the naive peer (a fresh single-source
  Dijkstra for every remaining leg, on every update), on the same vehicles, stops and positions;
  and the ratio. Both give the same ETAs (checked: `max_eta_diff_s`).
- `end_to_end`: V vehicles with S stops each send a position every 5 s through the real gateway
  (uvicorn) to the real routing service (`nameko run`) over RabbitMQ and Redis; one family per
  vehicle follows its senior (the last stop) on the SSE stream, in two phases of the same run: on
  a gateway whose streams are woken by routing's `delivery_eta_updated` events (`events`), then
  on a second gateway of the same stack with the event feed off, whose streams poll routing
  every 0.5 s (`polling`, the peer); the drivers post to the gateway of the phase, the other one
  stays idle. p50/p95/max of the time from the gateway receiving the position to the changed ETA
  reaching the family's stream, for each. Positions run on a simulated clock (3 min per 5 s,
  going on across the phases), so the van falls behind and each position moves the followed ETA
  past routing's 2-minute threshold; only positions whose answer lists the followed delivery in
  `moved` (routing published its ETA) are measured.

The round plans are written with routing's own store (the benchmark measures tracking, not
planning). Owns a RabbitMQ vhost of its own and a fresh tenant on `REDIS_URL` (default database 4).
Usage: python bench/tracking.py [--vehicles 50] [--stops 30] [--seconds 60] [--cpu-updates 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from services.routing.artefact import load_graph  # noqa: E402
from services.routing.graph import build_from_osm_file, write_artefact  # noqa: E402
from services.routing.jobs.placement import vehicle_position  # noqa: E402
from services.routing.matrix import Router  # noqa: E402
from services.routing.tracking.etas import RemainingStop, remaining_etas  # noqa: E402
from tests.sandbox_process import free_port  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4")
RABBIT_API = "http://127.0.0.1:15672/api"
DATA = Path(os.environ.get("BOCAGE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")) / "osm"
PASSWORD = "bench-password-1"
SEED = 2026
ELEVEN = 11 * 3600.0
SIM_STEP = dt.timedelta(minutes=3)


def rabbit(method: str, path: str, body: dict[str, Any] | None = None) -> None:
    request = urllib.request.Request(
        f"{RABBIT_API}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json", "authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="},
    )
    urllib.request.urlopen(request, timeout=10).close()


# -- the vehicles, their stops and their positions ---------------------------------------------
def rounds(router: Router, vehicles: int, stops: int) -> list[dict[str, Any]]:
    """Each vehicle's stops (on graph nodes, every leg drivable) and legs from one matrix."""
    graph = router.graph
    rng = np.random.default_rng(SEED)
    out = []
    while len(out) < vehicles:
        nodes = rng.integers(0, graph.n_nodes, stops)
        points = np.column_stack([graph.node_lat[nodes], graph.node_lon[nodes]])
        matrix = router.travel_matrix(points)
        legs = [float(matrix.durations_s[i, i + 1]) for i in range(stops - 1)]
        if all(np.isfinite(legs)):
            out.append({"points": points.tolist(), "legs": legs})
    return out


def position_between(a: list[float], b: list[float], share: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share)


def one_row(router: Router, source: tuple[float, float], targets: list[list[float]]) -> np.ndarray:
    """Road seconds from `source` to each target: one single-source search."""
    points = np.array([source, *targets], dtype=np.float64)
    snap = router.snapper.snap(points[:, 0], points[:, 1], router.max_snap_m)
    row_ms, _ = router.matrix_rows(snap, 0, 1)
    return row_ms[0, 1:] / 1000.0


def ours(router: Router, vehicle: dict[str, Any], done: int, at: tuple[float, float]) -> dict:
    stops = vehicle["points"][done:]
    on_road = vehicle_position(router, "v", at)
    to_next = float(one_row(router, on_road, [stops[0]])[0])
    remaining = [RemainingStop(str(i), 0, 120) for i in range(done, len(vehicle["points"]))]
    return remaining_etas(ELEVEN, to_next, vehicle["legs"][done:], remaining)


def naive(router: Router, vehicle: dict[str, Any], done: int, at: tuple[float, float]) -> dict:
    """The peer: a fresh single-source Dijkstra for every remaining leg, every time."""
    stops = vehicle["points"][done:]
    on_road = vehicle_position(router, "v", at)
    legs = [float(one_row(router, on_road, [stops[0]])[0])]
    for a, b in itertools.pairwise(stops):
        legs.append(float(one_row(router, (a[0], a[1]), [b])[0]))
    remaining = [RemainingStop(str(i), 0, 120) for i in range(done, len(vehicle["points"]))]
    return remaining_etas(ELEVEN, legs[0], legs[1:], remaining)


def cpu(router: Router, fleet: list[dict[str, Any]], updates: int) -> dict[str, Any]:
    rng = np.random.default_rng(SEED + 1)
    cases = []
    for _ in range(updates):
        vehicle = fleet[int(rng.integers(0, len(fleet)))]
        done = int(rng.integers(0, len(vehicle["points"]) - 1))
        at = position_between(
            vehicle["points"][max(done - 1, 0)],
            vehicle["points"][done],
            float(rng.uniform(0.2, 0.8)),
        )
        cases.append((vehicle, done, at))
    timings = {}
    results = {}
    for name, fn in (("ours", ours), ("naive", naive)):
        start = time.process_time()
        results[name] = [fn(router, v, d, a) for v, d, a in cases]
        timings[name] = (time.process_time() - start) / len(cases)
    diff = max(
        abs(x - y)
        for a, b in zip(results["ours"], results["naive"], strict=True)
        for x, y in zip(a.values(), b.values(), strict=True)
    )
    mean_remaining = statistics.mean(len(v["points"]) - d for v, d, _ in cases)
    return {
        "updates": len(cases),
        "mean_remaining_stops": round(mean_remaining, 1),
        "ours_cpu_ms_per_update": round(timings["ours"] * 1000, 3),
        "naive_cpu_ms_per_update": round(timings["naive"] * 1000, 3),
        "ratio_naive_over_ours": round(timings["naive"] / timings["ours"], 1),
        "max_eta_diff_s": round(diff, 3),
    }


# -- end to end ----------------------------------------------------------------------------------
def end_to_end(artefact: Path, fleet: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    import httpx
    import redis
    import uvicorn

    from contracts.meals import HistoryEntry, Order, Senior
    from contracts.users import Role, UserCreate
    from services.common.settings import load_settings
    from services.gateway.app import create_app
    from services.gateway.auth import create_user
    from services.gateway.settings import GatewaySettings
    from services.gateway.users import UserStore
    from services.routing.meals.day import delivery_id
    from services.routing.store import RoutingStore

    vhost = f"bocage-bench-tracking-{uuid.uuid4().hex[:8]}"
    rabbit("PUT", f"/vhosts/{vhost}")
    rabbit("PUT", f"/permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    day = dt.datetime.now(PARIS).date()
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    store = RoutingStore(client, load_settings({"AMQP_URI": amqp_uri, "REDIS_URL": REDIS_URL}))
    users = UserStore(client, tenant)
    create_user(users, UserCreate(username="dispatch", password=PASSWORD, role=Role.DISPATCHER))
    now = dt.datetime.now(PARIS)
    vehicles = []
    for v, vehicle in enumerate(fleet):
        driver, family = f"driver-{v}", f"family-{v}"
        create_user(users, UserCreate(username=driver, password=PASSWORD, role=Role.DRIVER))
        create_user(users, UserCreate(username=family, password=PASSWORD, role=Role.FAMILY))
        stops = []
        for s, point in enumerate(vehicle["points"]):
            sid = f"s{v}x{s}"
            families = [{"username": family}] if s == len(vehicle["points"]) - 1 else []
            senior = Senior.model_validate(
                {
                    "id": sid,
                    "first_name": "Senior",
                    "last_name": sid,
                    "address": "rue",
                    "commune": "59350",
                    "location": point,
                    "weekdays": ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"],
                    "families": families,
                    "emergency_contacts": [{"name": "Contact", "phone": "+33612345678"}],
                }
            )
            entry = HistoryEntry(at=now, by="bench", what="bench")
            store.meals.save_seniors(tenant, [(senior, entry)])
            order = Order(
                senior_id=sid,
                day=day,
                choice_id="plat",
                choice_name="Plat",
                texture="normale",
                changed_by="bench",
                changed_at=now,
                cutoff=now,
            )
            client.hset(f"routing:{tenant}:orders:{day}", sid, order.model_dump_json())
            stops.append(
                {
                    "id": delivery_id(sid, day),
                    "location": point,
                    "arrival": "11:00",
                    "service_start": "11:00",
                    "window_start": "10:30",
                    "window_end": "13:00",
                }
            )
        vehicles.append(
            {
                "vehicle_id": f"van-{v}",
                "driver": driver,
                "departure": "10:30",
                "return_time": "14:00",
                "stops": stops,
                "km": 0,
                "driving_minutes": 0,
                "working_minutes": 0,
                "co2_kg": 0,
            }
        )
    round_id = f"meals-{day}-bench"
    plan = {
        "round_id": round_id,
        "kind": "meals",
        "date": day.isoformat(),
        "version": 1,
        "vehicles": vehicles,
        "unserved": [],
        "feasible": True,
        "engine": "bench",
        "solve_seconds": 0,
    }
    # Written as RoundsStore.save_new does, without an event: nobody needs to hear of it.
    client.hset(
        f"routing:{tenant}:round:{round_id}", mapping={"plan": json.dumps(plan), "request": "{}"}
    )
    client.sadd(f"routing:{tenant}:rounds:{day}", round_id)
    store.meals.set_day_round(tenant, day.isoformat(), plan)

    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "REDIS_URL": REDIS_URL,
        "ROUTING_GRAPH": str(artefact),
        "PYTHONPATH": str(REPO_ROOT),
    }
    log = Path(tempfile.gettempdir()) / f"bench-tracking-{vhost}.log"
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nameko",
            "run",
            "--config",
            "infra/nameko.yaml",
            "services.routing.service",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    servers = {}
    for name, live_events in (("events", True), ("polling", False)):
        settings = GatewaySettings(
            amqp_uri=amqp_uri,
            redis_url=REDIS_URL,
            tenant=tenant,
            rpc_timeout_s=10,
            services=("routing",),
            live_events=live_events,
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        servers[name] = (server, f"http://127.0.0.1:{port}")
    base = servers["events"][1]
    latencies: dict[str, list[float]] = {name: [] for name in servers}
    answered: list[float] = []
    stop = threading.Event()
    try:
        http = httpx.Client(base_url=base, timeout=30)
        deadline = time.monotonic() + 90
        for _, url in servers.values():
            while True:
                try:
                    if http.get(f"{url}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack did not come up; see {log}")
                time.sleep(0.5)

        def token(user: str) -> str:
            answer = http.post("/auth/login", json={"username": user, "password": PASSWORD})
            return str(answer.json()["access_token"])

        drivers = [{"Authorization": f"Bearer {token(f'driver-{v}')}"} for v in range(len(fleet))]
        for v, headers in enumerate(drivers):
            started = http.post(f"/meal-rounds/{round_id}/van-{v}/start", headers=headers)
            assert started.status_code == 200, started.text
        families = [{"Authorization": f"Bearer {token(f'family-{v}')}"} for v in range(len(fleet))]
        followed = [vehicles[v]["stops"][-1]["id"] for v in range(len(fleet))]
        steps_done = [0] * len(fleet)  # the simulated clock runs on across both phases
        # Not before the windows open (10:30): an early van's ETAs are held at the windows'
        # start, so a run in the morning would move none of them.
        opens = dt.datetime.combine(day, dt.time(10, 30), tzinfo=PARIS)
        clock0 = max(dt.datetime.now(PARIS), opens)
        published = 0

        def phase(name: str) -> None:
            """Families follow on gateway `name` while the drivers post to it; the other
            gateway stays idle, so neither path's load is counted against the other."""
            nonlocal published
            url = servers[name][1]
            stop = threading.Event()
            sent: list[list[float]] = [[] for _ in fleet]
            seen: list[list[tuple[float, str]]] = [[] for _ in fleet]
            clients: list[httpx.Client] = []

            def follow(v: int) -> None:
                senior = f"s{v}x{len(fleet[v]['points']) - 1}"
                own = httpx.Client(base_url=url, timeout=None)
                clients.append(own)
                try:
                    with own.stream(
                        "GET",
                        f"/seniors/{senior}/tracking/live",
                        params={"date": day.isoformat()},
                        headers=families[v],
                    ) as stream:
                        if stream.status_code != 200:
                            raise RuntimeError(f"family stream {v}: {stream.status_code}")
                        last = None
                        for line in stream.iter_lines():
                            if stop.is_set():
                                return
                            if line.startswith("data:"):
                                eta = json.loads(line[5:]).get("eta")
                                if eta != last:
                                    seen[v].append((time.monotonic(), eta))
                                    last = eta
                except httpx.HTTPError:
                    return  # closed at the end of the phase

            def drive(v: int) -> None:
                vehicle = fleet[v]
                with httpx.Client(base_url=url, timeout=30) as own:
                    step = 0
                    time.sleep(5.0 * v / len(fleet))  # spread the vehicles over the 5 s
                    begin = time.monotonic()
                    while time.monotonic() - begin < seconds:
                        a, b = vehicle["points"][0], vehicle["points"][1]
                        share = min(0.02 * (steps_done[v] + step), 0.95)
                        at = position_between(a, b, share)
                        # Simulated time: each position comes SIM_STEP after the last, so the
                        # van falls behind and every ETA moves past routing's 2-minute
                        # threshold: each position publishes the followed senior's ETA.
                        clock = clock0 + (steps_done[v] + step) * SIM_STEP
                        body = {
                            "vehicle_id": f"van-{v}",
                            "location": list(at),
                            "at": clock.isoformat(),
                        }
                        posted = time.monotonic()
                        answer = own.post(
                            f"/meal-rounds/{round_id}/positions", json=body, headers=drivers[v]
                        )
                        answered.append(time.monotonic() - posted)
                        if followed[v] in answer.json().get("moved", []):
                            sent[v].append(posted)  # routing published this senior's ETA
                        step += 1
                        time.sleep(max(0.0, begin + 5.0 * step - time.monotonic()))
                    steps_done[v] += step

            followers = [
                threading.Thread(target=follow, args=(v,), daemon=True) for v in range(len(fleet))
            ]
            for thread in followers:
                thread.start()
            time.sleep(3)
            driving = [threading.Thread(target=drive, args=(v,)) for v in range(len(fleet))]
            for thread in driving:
                thread.start()
            for thread in driving:
                thread.join()
            time.sleep(3)
            stop.set()
            for own in clients:
                own.close()
            for v in range(len(fleet)):
                for t_sent in sent[v]:
                    after = [t for t, _ in seen[v] if t >= t_sent]
                    if after and after[0] - t_sent < 5.0:
                        latencies[name].append(after[0] - t_sent)
            published += sum(len(x) for x in sent)

        for name in servers:
            phase(name)
        positions = len(answered)
    finally:
        stop.set()
        for server, _ in servers.values():
            server.should_exit = True
        service.terminate()
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
        rabbit("DELETE", f"/vhosts/{vhost}")
        for key in client.scan_iter(f"*:{tenant}:*", count=1000):
            client.delete(key)
    out: dict[str, Any] = {
        "vehicles": len(fleet),
        "stops_per_vehicle": len(fleet[0]["points"]),
        "seconds": seconds,
        "positions_sent": positions,
        "positions_publishing_the_followed_eta": published,
        "position_post_p50_s": round(sorted(answered)[len(answered) // 2], 3) if answered else None,
        "position_post_p95_s": (
            round(sorted(answered)[int(len(answered) * 0.95)], 3) if answered else None
        ),
    }
    for name, found in latencies.items():
        found.sort()
        out[name] = {
            "etas_seen_on_family_streams": len(found),
            "p50_s": round(found[len(found) // 2], 3) if found else None,
            "p95_s": round(found[int(len(found) * 0.95)], 3) if found else None,
            "max_s": round(found[-1], 3) if found else None,
        }
    p95 = [out[name]["p95_s"] for name in ("events", "polling")]
    if all(p95):
        out["p95_ratio_polling_over_events"] = round(p95[1] / p95[0], 1)
    out["note"] = "polling: each family stream asks routing every 0.5 s; events: woken at once"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=50)
    parser.add_argument("--stops", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cpu-updates", type=int, default=300)
    parser.add_argument("--skip-end-to-end", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    graph = build_from_osm_file(DATA / "flanders-kempen-2013_drive.osm")
    artefact = write_artefact(graph, folder, "kempen-drive")
    router = Router(load_graph(artefact))
    fleet = rounds(router, args.vehicles, args.stops)
    out: dict[str, Any] = {"graph": "kempen_drive", "cpu": cpu(router, fleet, args.cpu_updates)}
    if not args.skip_end_to_end:
        out["end_to_end"] = end_to_end(artefact, fleet, args.seconds)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
