"""`bocage demo meals [--speed 60] [--headless]`: a day of meals replayed on the running system.

It registers 40 seniors on road points of the loaded graph around a kitchen, three drivers and
three families (password `demo-password-1`), publishes the week's menu, orders (one after the
cutoff and one against a diet, both refused), plans the day in one click, then drives the three
vans along their own road geometry, one 20 minutes late, marking every door (one not answered).
`--speed 60` plays one minute a second: watch `/dispatch`, `/family?date=`, `/kitchen?date=` and
`/driver` meanwhile (the day is a week ahead; the demo prints the addresses).
`--headless` plays it as fast as it goes and prints what happened.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import time
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from infra.cli import CommandError

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "demo-password-1"
DRIVERS = ("demo-driver-a", "demo-driver-b", "demo-driver-c")
FAMILIES = ("demo-famille-0", "demo-famille-1", "demo-famille-2")
LATE_MIN = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser("demo", help="replay a scenario on the running system")
    kinds = demo.add_subparsers(dest="scenario", metavar="SCENARIO")
    kinds.required = True
    meals = kinds.add_parser("meals", help="a day of meals: orders, rounds, vans, doors")
    meals.add_argument("--speed", type=float, default=60, help="simulated seconds per second")
    meals.add_argument("--headless", action="store_true", help="no waiting; print a summary")
    meals.add_argument(
        "--base-url",
        default=f"http://127.0.0.1:{os.environ.get('BOCAGE_GATEWAY_PORT', '8000')}",
    )
    meals.add_argument("--tenant", default=os.environ.get("BOCAGE_TENANT", "demo"))
    meals.set_defaults(handler=_meals)


def _users(tenant: str) -> None:
    import redis

    from contracts.gateway import TenantUpdate
    from contracts.users import Commune, Role, UserCreate
    from services.common.settings import load_settings
    from services.gateway.auth import create_user
    from services.gateway.users import DuplicateUser, UserStore

    client = redis.Redis.from_url(load_settings({}).redis_url, decode_responses=True)
    users = UserStore(client, tenant)
    if not users.get_tenant().communes:
        users.set_tenant(TenantUpdate(name="Démo", communes=(Commune(code="59350", name="Lille"),)))
    wanted = [("demo-dispatch", Role.DISPATCHER)]
    wanted += [(d, Role.DRIVER) for d in DRIVERS] + [(f, Role.FAMILY) for f in FAMILIES]
    for name, role in wanted:
        with contextlib.suppress(DuplicateUser):
            create_user(users, UserCreate(username=name, password=PASSWORD, role=role))


def _homes(n: int) -> tuple[list[float], list[list[float]]]:
    import numpy as np

    from services.routing.artefact import load_graph
    from services.routing.network import NoRoadGraph, find_artefact

    try:
        graph = load_graph(find_artefact(os.environ.get("ROUTING_GRAPH")))
    except NoRoadGraph as error:
        raise CommandError(str(error)) from None
    rng = np.random.default_rng(11)
    kitchen = int(rng.integers(0, graph.n_nodes))
    lat0, lon0 = float(graph.node_lat[kitchen]), float(graph.node_lon[kitchen])
    near = np.flatnonzero(
        (np.abs(graph.node_lat - lat0) < 0.05) & (np.abs(graph.node_lon - lon0) < 0.08)
    )
    picked = rng.choice(near, min(n, len(near)), replace=False)
    return [lat0, lon0], [[float(graph.node_lat[i]), float(graph.node_lon[i])] for i in picked]


def _meals(args: argparse.Namespace) -> int:
    import httpx

    _users(args.tenant)
    kitchen, homes = _homes(40)
    day = dt.datetime.now(PARIS).date() + dt.timedelta(days=7)
    week = day - dt.timedelta(days=day.weekday())
    http = httpx.Client(base_url=args.base_url, timeout=120)
    log: list[str] = []

    def say(line: str) -> None:
        log.append(line)
        if not args.headless:
            print(line, flush=True)

    def login(name: str) -> dict[str, str]:
        answer = http.post("/auth/login", json={"username": name, "password": PASSWORD})
        if answer.status_code != 200:
            raise CommandError(f"cannot log in as {name} at {args.base_url}: {answer.text}")
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def call(method: str, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        try:
            return http.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as error:
            raise CommandError(f"{args.base_url} does not answer ({error}): `bocage up`") from None

    dispatch = login("demo-dispatch")
    tag = uuid.uuid4().hex[:4]
    for i, home in enumerate(homes):
        call(
            "PUT",
            f"/seniors/d{tag}-{i:02d}",
            dispatch,
            json={
                "id": f"d{tag}-{i:02d}",
                "first_name": f"Senior{i}",
                "last_name": "Démo",
                "address": f"{i} rue de la Démo",
                "commune": "59350",
                "location": home,
                "weekdays": ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"],
                "diets": ["sans_sel"] if i == 1 else [],
                "door_notes": "boîte à clés" if i % 5 == 0 else "",
                "emergency_contacts": [
                    {"name": "Fils", "phone": "+33612345678"},
                    {"name": "Voisine", "phone": "+33687654321", "relation": "neighbour"},
                ],
            },
        )
    for f, family in enumerate(FAMILIES):
        call(
            "PUT",
            f"/seniors/d{tag}-{f:02d}/families/{family}",
            dispatch,
            json={"phone": f"+3361111111{f}", "notify": True},
        )
    choices = [
        {"id": "hachis", "name": "Hachis parmentier"},
        {"id": "colin", "name": "Colin vapeur", "diets": ["sans_sel"]},
    ]
    days = [
        {"day": (week + dt.timedelta(days=d)).isoformat(), "choices": choices} for d in range(7)
    ]
    call("PUT", "/menus", dispatch, json={"week": week.isoformat(), "days": days})
    say(f"{len(homes)} seniors registered, menu of the week of {week} published")
    tomorrow = dt.datetime.now(PARIS).date() + dt.timedelta(days=1)
    family = [login(f) for f in FAMILIES]
    late = call(
        "PUT", f"/seniors/d{tag}-00/orders/{tomorrow}", family[0], json={"choice_id": "hachis"}
    )
    say(f"order for tomorrow: {late.status_code} {late.json().get('detail', '')}")
    diet = call("PUT", f"/seniors/d{tag}-01/orders/{day}", family[1], json={"choice_id": "hachis"})
    say(f"order against a diet: {diet.status_code} {diet.json().get('detail', '')}")
    for i in range(len(homes)):
        who = family[i] if i < 3 else dispatch
        call(
            "PUT",
            f"/seniors/d{tag}-{i:02d}/orders/{day}",
            who,
            json={"choice_id": "colin" if i == 1 else "hachis"},
        )
    planned = call(
        "POST",
        "/meals/day",
        dispatch,
        json={
            "date": day.isoformat(),
            "kitchen": kitchen,
            "time_limit_s": 5,
            "vehicles": [
                {
                    "id": f"van-{d[-1]}",
                    "capacity": 20,
                    "shift_start": "10:00",
                    "shift_end": "14:30",
                    "driver": d,
                }
                for d in DRIVERS
            ],
        },
    )
    if planned.status_code != 201:
        raise CommandError(f"planning failed: {planned.text}")
    plan = planned.json()
    say(
        f"day {day} planned: round {plan['round_id']}, "
        f"{sum(len(v['stops']) for v in plan['vehicles'])} deliveries, "
        f"{len(plan['unserved'])} unserved"
    )
    base = args.base_url.rstrip("/")
    say(
        f"watch: {base}/family?date={day} ({FAMILIES[0]}), {base}/dispatch (day {day}), "
        f"{base}/kitchen?date={day}, {base}/driver"
    )
    _drive(plan, day, login, call, say, args)
    _what_happened(day, tag, dispatch, call, say)
    if args.headless:
        print("\n".join(log))
    return 0


def _what_happened(day: dt.date, tag: str, dispatch: dict[str, str], call: Any, say: Any) -> None:
    """The day's end as the dispatcher sees it: the rounds' state and the door nobody opened."""
    rounds = call("GET", f"/meals/day?date={day}", dispatch).json()
    vans = ", ".join(
        f"{v['vehicle_id']} {v.get('status', '?')}"
        + (f" at {v['finished_at'][11:16]}" if v.get("finished_at") else "")
        for v in rounds.get("vehicles", [])
        if v.get("stops")
    )
    say(f"rounds: {rounds.get('status', '?')} ({vans})")
    for case in call("GET", "/welfare-cases", dispatch).json():
        if f"-d{tag}-" not in case.get("delivery_id", ""):
            continue  # an earlier replay's
        say(f"welfare check {case['case_id']} ({case['senior_name']}): {case['status']}")
        for step in case.get("history", []):
            who = (
                f" contact {step['contact_index'] + 1}"
                if step.get("contact_index") is not None
                else ""
            )
            at = dt.datetime.fromisoformat(step["at"]).astimezone(PARIS).strftime("%H:%M:%S")
            say(f"  {at} {step['kind']}{who} {step.get('detail', '')}".rstrip())


def _drive(
    plan: dict[str, Any], day: dt.date, login: Any, call: Any, say: Any, args: argparse.Namespace
) -> None:
    """Every van's stops in the order of their (shifted) times, positions before each door."""
    steps = []
    going = [v for v in plan["vehicles"] if v["stops"]]
    for vehicle in going:
        # The first van that goes out runs late: its families' ETAs move.
        late = LATE_MIN if vehicle is going[0] else 0
        road = [
            [lat, lon]
            for lon, lat in (vehicle.get("geometry") or {})
            .get("geometry", {})
            .get("coordinates", [])
        ]
        for n, stop in enumerate(vehicle["stops"]):
            at = dt.datetime.combine(day, dt.time.fromisoformat(stop["arrival"]), tzinfo=PARIS)
            at += dt.timedelta(minutes=late)
            steps.append((at, vehicle, n, stop, road))
    steps.sort(key=lambda s: s[0])
    heads = {v["vehicle_id"]: login(v["driver"]) for v in plan["vehicles"]}
    for vehicle in plan["vehicles"]:
        call(
            "POST",
            f"/meal-rounds/{plan['round_id']}/{vehicle['vehicle_id']}/start",
            heads[vehicle["vehicle_id"]],
        )
    previous = steps[0][0] if steps else None
    absent_done = False
    for at, vehicle, n, stop, road in steps:
        if not args.headless and previous is not None:
            time.sleep(max(0.0, (at - previous).total_seconds() / args.speed))
        previous = at
        head = heads[vehicle["vehicle_id"]]
        if road:
            near = min(
                range(len(road)),
                key=lambda k: (
                    abs(road[k][0] - stop["location"][0]) + abs(road[k][1] - stop["location"][1])
                ),
            )
            where = road[max(near - 2, 0)]
            call(
                "POST",
                f"/meal-rounds/{plan['round_id']}/positions",
                head,
                json={
                    "vehicle_id": vehicle["vehicle_id"],
                    "location": where,
                    "at": (at - dt.timedelta(minutes=3)).isoformat(),
                },
            )
        outcome = "delivered"
        if not absent_done and n == 2:
            outcome, absent_done = "absent", True
        call(
            "POST",
            f"/meal-deliveries/{stop['id']}/mark",
            head,
            json={"outcome": outcome, "at": at.isoformat()},
        )
        say(f"{at:%H:%M} {vehicle['vehicle_id']} {stop['recipient_name']}: {outcome}")
