"""A morning plan never fails because of one bad address (issue 10), on the real Kempen graph.

Points are checked when they are registered; plans go ahead without the stops they cannot place,
naming them; containers can be moved, retired and deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.routing.service import RoutingService

pytestmark = pytest.mark.service

DISPATCHER = {"username": "dispatcher-1", "role": "dispatcher"}
DEPOT = [51.2667, 4.7125]  # Zoersel
FIELD = [51.26297, 4.75736]  # in the fields, 854 m from Blommerschot, the nearest road
ON_A_ROAD = [51.2750, 4.7700]  # on Oostmalsebaan
CONTAINERS = [
    {"id": "c-church", "name": "Kerkplein", "location": [51.2983, 4.7331], "volume_litres": 3000},
    {"id": "c-school", "name": "Schoolstraat", "location": [51.2480, 4.8420],
     "volume_litres": 3000},
    {"id": "c-mill", "name": "Molenstraat", "location": [51.2860, 4.8020], "volume_litres": 3000},
]  # fmt: skip
IN_THE_FIELD = {"id": "c-farm", "name": "Hoeve De Linde", "location": FIELD, "volume_litres": 3000}
TRUCK = {"id": "truck-1", "capacity": 5000, "shift_start": "06:00", "shift_end": "13:00",
         "driver": "driver-1"}  # fmt: skip


@pytest.fixture
def routing_config(service_config: dict[str, Any], kempen_drive_artefact: Path) -> dict[str, Any]:
    return {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}


def _fill_up(routing: Any, tenant: str, container_ids: list[str]) -> None:
    """Readings of 60, 75 and 90 % on the three days before the collection: all mandatory."""
    for cid in container_ids:
        for day, level in ((21, 60), (22, 75), (23, 90)):
            reading = {"reading_id": f"{cid}-{day}", "container_id": cid,
                       "at": f"2026-11-{day}T08:00:00+01:00", "level_pct": level}  # fmt: skip
            routing.record_reading(tenant, DISPATCHER, reading)


def _waste_request(**extra: Any) -> dict[str, Any]:
    return {"date": "2026-11-24", "collection_time": "08:00", "depot": DEPOT,
            "disposal_sites": [[51.2518855, 4.7035123]], "trucks": [TRUCK], "time_limit_s": 2,
            **extra}  # fmt: skip


def _visited(plan: dict[str, Any]) -> set[str]:
    return {s["id"] for v in plan["vehicles"] for s in v["stops"] if s["kind"] == "container"}


def test_a_container_in_a_field_is_refused_at_registration_naming_it_and_the_nearest_road(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container_factory(RoutingService, routing_config).start()

    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        answer = routing.register_containers(tenant, DISPATCHER, [*CONTAINERS, IN_THE_FIELD])
        listed = routing.list_containers(tenant, DISPATCHER)
        with pytest.raises(RemoteError) as alone:
            routing.register_containers(tenant, DISPATCHER, [IN_THE_FIELD])
        accepted = routing.register_containers(
            tenant, DISPATCHER, [{**IN_THE_FIELD, "accept_nearest_road": True}]
        )
        stored = routing.get_container(tenant, DISPATCHER, "c-farm")["container"]

    assert answer["registered"] == 3 and answer["refused"] == 1
    verdict = answer["items"][3]
    assert verdict["id"] == "c-farm" and verdict["status"] == "refused"
    assert verdict["nearest_road"] == "Blommerschot" and 800 < verdict["distance_m"] < 900
    assert (
        "c-farm (Hoeve De Linde) is 854 m from the nearest road (Blommerschot)"
        in (verdict["detail"])
    )
    assert "accept_nearest_road" in verdict["detail"]
    assert [c["id"] for c in listed] == ["c-church", "c-mill", "c-school"]
    # Alone, nothing can be registered: the whole request is refused, with the same words.
    assert alone.value.exc_type == "InvalidMessage"
    assert "854 m from the nearest road (Blommerschot)" in str(alone.value)
    # Accepted at the nearest road point: registered there, on Blommerschot.
    assert accepted["items"][0]["status"] == "registered"
    assert stored["location"] != FIELD and abs(stored["location"][0] - 51.2567) < 1e-3


def test_a_waste_plan_goes_ahead_without_the_container_in_a_field_and_moving_it_fixes_the_next(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    # Registered long ago, when 2 km from a road was allowed: the graph's rule changed since.
    lenient = container_factory(RoutingService, {**routing_config, "ROUTING_MAX_SNAP_M": 2000})
    lenient.start()
    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        assert (
            routing.register_containers(tenant, DISPATCHER, [*CONTAINERS, IN_THE_FIELD])[
                "registered"
            ]
            == 4
        )
        _fill_up(routing, tenant, [c["id"] for c in [*CONTAINERS, IN_THE_FIELD]])
    lenient.stop()
    container_factory(RoutingService, routing_config).start()

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        plan = routing.plan_waste_round(tenant, DISPATCHER, _waste_request())
        moved = routing.update_container(tenant, DISPATCHER, "c-farm", {"location": ON_A_ROAD})
        replanned = routing.plan_waste_round(tenant, DISPATCHER, _waste_request())

    assert _visited(plan) == {"c-church", "c-school", "c-mill"}
    (farm,) = plan["unserved"]
    assert farm["id"] == "c-farm" and farm["reason"] == "not_on_road_network"
    assert farm["name"] == "Hoeve De Linde" and 800 < farm["distance_m"] < 900
    assert "Blommerschot" in farm["detail"]
    # The plan says what ran: the engine and how long it searched, not a constant.
    assert plan["engine"] in {"ortools", "pyvrp"} and plan["solve_seconds"] > 0
    assert plan["search_progress"] and plan["engine"] == plan["search_progress"][-1]["engine"]
    assert moved["location"] == ON_A_ROAD
    assert _visited(replanned) == {"c-church", "c-school", "c-mill", "c-farm"}
    assert replanned["unserved"] == []


def test_a_retired_container_is_not_planned_and_a_deleted_one_is_gone_but_its_readings_expire(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container_factory(RoutingService, routing_config).start()

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        routing.register_containers(tenant, DISPATCHER, CONTAINERS)
        _fill_up(routing, tenant, [c["id"] for c in CONTAINERS])
        retired = routing.update_container(tenant, DISPATCHER, "c-mill", {"retired": True})
        plan = routing.plan_waste_round(tenant, DISPATCHER, _waste_request())
        routing.delete_container(tenant, DISPATCHER, "c-school")
        listed = routing.list_containers(tenant, DISPATCHER)
        with pytest.raises(RemoteError) as gone:
            routing.get_container(tenant, DISPATCHER, "c-school")

    assert retired["retired"] is True
    assert _visited(plan) == {"c-church", "c-school"}  # not the retired mill
    assert [(c["id"], c["retired"]) for c in listed] == [("c-church", False), ("c-mill", True)]
    assert gone.value.exc_type == "NotFound"
    # The deleted container's readings stay for the retention period (400 days), then expire.
    with redis.Redis.from_url(routing_config["REDIS_URL"]) as client:
        ttl = client.ttl(f"routing:{tenant}:readings:c-school")
    assert 399 * 86400 < ttl <= 400 * 86400


def test_only_dispatchers_reach_containers_and_others_see_none(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container_factory(RoutingService, routing_config).start()
    driver = {"username": "driver-1", "role": "driver"}

    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        routing.register_containers(tenant, DISPATCHER, CONTAINERS[:1])
        with pytest.raises(RemoteError) as read:
            routing.get_container(tenant, driver, "c-church")
        with pytest.raises(RemoteError) as move:
            routing.update_container(tenant, driver, "c-church", {"location": ON_A_ROAD})
        with pytest.raises(RemoteError) as delete:
            routing.delete_container(tenant, driver, "c-church")
        listed = routing.list_containers(tenant, driver)
        after = routing.get_container(tenant, DISPATCHER, "c-church")["container"]

    assert read.value.exc_type == move.value.exc_type == delete.value.exc_type == "NotFound"
    assert listed == []
    assert after["location"] == CONTAINERS[0]["location"]


KITCHEN = DEPOT
DELIVERIES = [
    {"id": "d1", "location": [51.2983, 4.7331], "window_start": "11:00", "window_end": "12:30",
     "recipient_name": "Mme Peeters", "address": "Dorpstraat 1"},
    {"id": "d2", "location": [51.2260, 4.7720], "window_start": "11:00", "window_end": "12:30",
     "recipient_name": "M. Claes"},
    {"id": "d3", "location": FIELD, "window_start": "11:00", "window_end": "12:30",
     "recipient_name": "M. Janssens", "address": "Hoeve De Linde"},
    {"id": "d4", "location": [51.2860, 4.8020], "window_start": "11:00", "window_end": "12:00"},
]  # fmt: skip
VAN = {"id": "van-1", "capacity": 10, "shift_start": "10:30", "shift_end": "14:00"}


def _meals(deliveries: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"date": "2026-11-24", "kitchen": KITCHEN, "deliveries": deliveries,
            "vehicles": [VAN], "time_limit_s": 2, **extra}  # fmt: skip


def test_a_meal_plan_goes_ahead_without_the_senior_in_a_field_named_by_id_and_name(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container_factory(RoutingService, routing_config).start()

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        plan = routing.plan_meal_round(tenant, DISPATCHER, _meals(DELIVERIES))
        first = plan["vehicles"][0]["stops"][0]
        change = {"vehicle_id": "van-1", "position": first["location"],
                  "now": first["service_start"], "done": [first["id"]]}  # fmt: skip
        replanned = routing.replan_round(tenant, DISPATCHER, plan["round_id"], change)
        accepted = routing.plan_meal_round(
            tenant, DISPATCHER, _meals(DELIVERIES, accept_nearest_road=True)
        )

    served = {s["id"] for v in plan["vehicles"] for s in v["stops"]}
    assert served == {"d1", "d2", "d4"}
    (d3,) = plan["unserved"]
    assert (d3["id"], d3["reason"], d3["name"]) == (
        "d3", "not_on_road_network", "M. Janssens, Hoeve De Linde"
    )  # fmt: skip
    assert 800 < d3["distance_m"] < 900
    assert "d3 (M. Janssens, Hoeve De Linde) is 854 m from the nearest road" in d3["detail"]
    assert "point " not in d3["detail"]  # never an index counting the kitchen
    # A re-plan carries the unserved senior forward: still listed, still named.
    assert replanned["version"] == 2 and replanned["unserved"] == plan["unserved"]
    # Accepted at the nearest road point, the senior is served there, on Blommerschot.
    assert {s["id"] for v in accepted["vehicles"] for s in v["stops"]} == {"d1", "d2", "d3", "d4"}
    stop = next(s for s in accepted["vehicles"][0]["stops"] if s["id"] == "d3")
    assert stop["location"] != FIELD


def test_a_plan_fails_whole_only_when_nothing_can_be_planned_and_says_why(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container_factory(RoutingService, routing_config).start()

    with ServiceRpcProxy("routing", routing_config, timeout=120) as routing:
        routing.register_containers(tenant, DISPATCHER, CONTAINERS)
        with pytest.raises(RemoteError) as only_field:
            routing.plan_meal_round(tenant, DISPATCHER, _meals([DELIVERIES[2]]))
        with pytest.raises(RemoteError) as kitchen:
            routing.plan_meal_round(tenant, DISPATCHER, {**_meals(DELIVERIES), "kitchen": FIELD})
        with pytest.raises(RemoteError) as dump:
            routing.plan_waste_round(
                tenant,
                DISPATCHER,
                _waste_request(disposal_sites=[[51.2518855, 4.7035123], FIELD]),
            )

    assert only_field.value.exc_type == "InvalidMessage"
    assert "nothing can be planned: d3 (M. Janssens, Hoeve De Linde) is 854 m" in str(
        only_field.value
    )
    assert kitchen.value.exc_type == "InvalidMessage"
    assert "kitchen is 854 m from the nearest road (Blommerschot)" in str(kitchen.value)
    assert "accept_nearest_road" in str(kitchen.value)
    assert "disposal site 2 is 854 m from the nearest road (Blommerschot)" in str(dump.value)
