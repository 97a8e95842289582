"""Meal rounds planned and re-planned by the routing service on the real Kempen road graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from contracts.rounds import minutes_of
from services.common.dead_letter import event_handler
from services.routing.service import RoutingService

pytestmark = pytest.mark.service

KITCHEN = [51.2667, 4.7125]  # Zoersel
FOUR_STOPS = [  # a 4-stop meal round around Zoersel, Malle and Pulle
    {"id": "d1", "location": [51.2983, 4.7331], "window_start": "11:00", "window_end": "12:30",
     "boxes": 2, "recipient_name": "Mme Peeters"},
    {"id": "d2", "location": [51.2260, 4.7720], "window_start": "11:00", "window_end": "12:30"},
    {"id": "d3", "location": [51.2480, 4.8420], "window_start": "11:30", "window_end": "12:30"},
    {"id": "d4", "location": [51.2860, 4.8020], "window_start": "11:00", "window_end": "12:00"},
]  # fmt: skip
DISPATCHER = {"username": "dispatcher-1", "role": "dispatcher"}
VAN = {"id": "van-1", "capacity": 10, "shift_start": "10:30", "shift_end": "14:00",
       "driver": "driver-1"}  # fmt: skip

planned: list[dict[str, Any]] = []


class RoundWatcher:
    name = "round_watcher"

    @event_handler("routing", "round_planned")
    def handle_round_planned(self, body: dict[str, Any]) -> None:
        planned.append(body)


@pytest.fixture
def routing_config(service_config: dict[str, Any], kempen_drive_artefact: Path) -> dict[str, Any]:
    return {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}


def _request(deliveries: list[dict[str, Any]] = FOUR_STOPS, **extra: Any) -> dict[str, Any]:
    return {
        "date": "2026-11-24",
        "kitchen": KITCHEN,
        "deliveries": deliveries,
        "vehicles": [VAN],
        "time_limit_s": 2,
        **extra,
    }


def test_a_four_stop_round_respects_windows_capacity_and_the_chain(
    runner_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    planned.clear()
    runner = runner_factory(routing_config, RoutingService, RoundWatcher)
    runner.start()
    watcher = next(c for c in runner.containers if c.service_name == "round_watcher")

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        with entrypoint_waiter(watcher, "handle_round_planned", timeout=60):
            plan = routing.plan_meal_round(tenant, DISPATCHER, _request())
        driver_view = routing.rounds_of_day(tenant, DISPATCHER, "2026-11-24", "driver-1")

    assert plan["feasible"] and plan["unserved"] == []
    (van,) = plan["vehicles"]
    assert sorted(s["id"] for s in van["stops"]) == ["d1", "d2", "d3", "d4"]
    windows = {d["id"]: (d["window_start"], d["window_end"]) for d in FOUR_STOPS}
    for stop in van["stops"]:
        start, end = windows[stop["id"]]
        assert minutes_of(start) <= minutes_of(stop["service_start"]) <= minutes_of(end)
        assert stop["on_board_minutes"] <= 120
    arrivals = [minutes_of(s["arrival"]) for s in van["stops"]]
    assert arrivals == sorted(arrivals)
    assert van["km"] > 5 and van["co2_kg"] > 0
    assert van["geometry"]["geometry"]["type"] == "LineString"
    assert planned[0]["payload"]["round_id"] == plan["round_id"]
    # The search reported its progress: each better plan, never a worse one.
    costs = [step["best_cost"] for step in plan["search_progress"]]
    assert costs and costs == sorted(costs, reverse=True)
    assert driver_view[0]["vehicles"][0]["vehicle_id"] == "van-1"


def test_impossible_deliveries_come_back_unserved_with_a_reason(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container = container_factory(RoutingService, routing_config)
    container.start()
    too_early = {**FOUR_STOPS[0], "id": "early", "window_start": "07:00", "window_end": "07:30"}
    too_big = {**FOUR_STOPS[1], "id": "big", "boxes": 40}

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        plan = routing.plan_meal_round(
            tenant, DISPATCHER, _request([*FOUR_STOPS[2:], too_early, too_big])
        )

    reasons = {u["id"]: u["reason"] for u in plan["unserved"]}
    assert reasons == {"early": "outside_every_window", "big": "capacity"}
    served = {s["id"] for v in plan["vehicles"] for s in v["stops"]}
    assert served == {"d3", "d4"}


def test_replan_keeps_done_stops_and_adds_a_late_order(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container = container_factory(RoutingService, routing_config)
    container.start()

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        plan = routing.plan_meal_round(tenant, DISPATCHER, _request())
        order = [s["id"] for s in plan["vehicles"][0]["stops"]]
        first = plan["vehicles"][0]["stops"][0]
        late_order = {"id": "late", "location": [51.2750, 4.7700], "window_start": "11:00",
                      "window_end": "13:30"}  # fmt: skip
        new = routing.replan_round(
            tenant,
            DISPATCHER,
            plan["round_id"],
            {"vehicle_id": "van-1", "position": first["location"], "now": first["service_start"],
             "done": [order[0]], "added": [late_order]},
        )  # fmt: skip
        stored = routing.get_round(tenant, DISPATCHER, plan["round_id"])

    stops = new["vehicles"][0]["stops"]
    assert stops[0]["id"] == order[0] and stops[0]["done"]
    assert sorted(s["id"] for s in stops) == sorted([*order, "late"])
    assert new["version"] == 2 and stored["version"] == 2


def test_a_bad_request_names_what_is_wrong(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container = container_factory(RoutingService, routing_config)
    container.start()
    bad = _request([{**FOUR_STOPS[0], "window_start": "12:30", "window_end": "11:00"}])

    with ServiceRpcProxy("routing", routing_config) as routing, pytest.raises(RemoteError) as err:
        routing.plan_meal_round(tenant, DISPATCHER, bad)

    assert err.value.exc_type == "InvalidMessage"
    assert "window ends before it starts" in str(err.value)


CONTAINERS = [  # four connected containers around Zoersel and Malle
    {"id": "c-full", "location": [51.2983, 4.7331], "volume_litres": 3000},
    {"id": "c-half", "location": [51.2260, 4.7720], "volume_litres": 3000},
    {"id": "c-empty", "location": [51.2480, 4.8420], "volume_litres": 3000},
    {"id": "c-rising", "location": [51.2860, 4.8020], "volume_litres": 3000},
]
LEVELS = {  # % on the three days before the collection day (24 November)
    "c-full": (60, 75, 90),
    "c-half": (40, 50, 60),
    "c-empty": (5, 8, 10),
    "c-rising": (50, 65, 78),
}


def test_waste_round_visits_what_will_overflow_and_skips_the_rest(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container = container_factory(RoutingService, routing_config)
    container.start()
    truck = {"id": "truck-1", "capacity": 5000, "shift_start": "06:00", "shift_end": "13:00"}

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        routing.register_containers(tenant, DISPATCHER, CONTAINERS)
        for cid, levels in LEVELS.items():
            for day, level in zip((21, 22, 23), levels, strict=True):
                reading = {"reading_id": f"{cid}-{day}", "container_id": cid,
                           "at": f"2026-11-{day}T08:00:00+01:00", "level_pct": level}  # fmt: skip
                assert routing.record_reading(tenant, DISPATCHER, reading)["status"] == "recorded"
        again = routing.record_reading(tenant, DISPATCHER, {**reading})
        with pytest.raises(RemoteError) as unknown:
            routing.record_reading(
                tenant, DISPATCHER, {**reading, "reading_id": "x", "container_id": "nope"}
            )
        with pytest.raises(RemoteError) as overfull:
            routing.record_reading(
                tenant, DISPATCHER, {**reading, "reading_id": "y", "level_pct": 140}
            )
        plan = routing.plan_waste_round(
            tenant,
            DISPATCHER,
            {"date": "2026-11-24", "collection_time": "08:00", "depot": KITCHEN,
             "disposal_sites": [[51.2500, 4.7000]], "trucks": [truck], "time_limit_s": 2},
        )  # fmt: skip

    assert again["status"] == "duplicate"
    assert "unknown container 'nope'" in str(unknown.value)
    assert "level_pct" in str(overfull.value)
    visited = {s["id"] for v in plan["vehicles"] for s in v["stops"] if s["kind"] == "container"}
    skipped = {s["id"] for s in plan["skipped"]}
    assert {"c-full", "c-rising"} <= visited  # forecast over 80 % tomorrow morning: mandatory
    assert "c-empty" in skipped and "c-empty" not in visited
    assert plan["unserved"] == []
    stops = plan["vehicles"][0]["stops"]
    assert stops[-1]["kind"] == "disposal"  # the truck unloads before going home

    # Mid-round, a resident reports the half-full container overflowing: it becomes urgent.
    first = next(s for s in stops if s["kind"] == "container")
    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        new = routing.replan_round(
            tenant,
            DISPATCHER,
            plan["round_id"],
            {"vehicle_id": "truck-1", "position": first["location"], "now": "08:30",
             "done": [first["id"]], "urgent_containers": ["c-half"]},
        )  # fmt: skip
    new_stops = new["vehicles"][0]["stops"]
    assert new_stops[0]["id"] == first["id"] and new_stops[0]["done"]
    new_visits = [s["id"] for s in new_stops if s["kind"] == "container"]
    assert "c-half" in new_visits
    assert set(visited) <= set(new_visits)
    assert new_stops[-1]["kind"] == "disposal" and new["version"] == 2
