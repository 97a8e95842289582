"""Plans on a road network in two pieces: the stops that cannot be placed or reached are named,
with why, and the rest is planned (issue 10). Tiny hand-made graphs; the real solver."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from contracts.rounds import RoundPlan, StopOut, UnservedOut, VehicleRoundOut
from services.routing import matrix_pool
from services.routing.artefact import RoadGraph, load_graph, save_graph
from services.routing.jobs.meal_job import plan_meals_job
from services.routing.jobs.placement import PlacementRefused
from services.routing.jobs.replan_merge import merge_replanned
from services.routing.matrix import Router
from tests.unit.routing.test_routing_matrix_tiny import LAT, make_graph, two_way

pytestmark = pytest.mark.unit

NORTH = LAT + 0.01  # a second street 1.1 km north, joined to nothing


def two_pieces() -> RoadGraph:
    """Main street 0-1-2-3 (two-way), and a northern street 4-5 that no road joins."""
    coords = [(LAT, 3.000), (LAT, 3.002), (LAT, 3.004), (LAT, 3.006), (NORTH, 3.000),
              (NORTH, 3.004)]  # fmt: skip
    graph = make_graph(coords, two_way((0, 1), (1, 2), (2, 3), (4, 5)))
    edge_name = [
        0 if max(u, v) <= 3 else 1
        for u, v in zip(graph.edge_tail.tolist(), graph.edge_head.tolist(), strict=True)
    ]
    return replace(graph, edge_name=np.array(edge_name), road_names=("Grand-Rue", "Ruelle"))


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This process as a routing worker holding the two-piece graph; returns its version."""
    path = save_graph(two_pieces(), tmp_path_factory.mktemp("graph") / "two-pieces.npz")
    matrix_pool.init_worker(str(path))
    return load_graph(path).version


def delivery(delivery_id: str, lat: float, lon: float, name: str = "") -> dict[str, Any]:
    return {"id": delivery_id, "location": [lat, lon], "window_start": "09:00",
            "window_end": "12:00", "recipient_name": name}  # fmt: skip


def meals(*deliveries: dict[str, Any], kitchen: list[float] | None = None) -> dict[str, Any]:
    return {"date": "2026-11-24", "kitchen": kitchen or [LAT, 3.000],
            "deliveries": list(deliveries), "time_limit_s": 1,
            "vehicles": [{"id": "van-1", "capacity": 10, "shift_start": "08:30",
                          "shift_end": "13:00"}]}  # fmt: skip


def test_a_stop_on_a_street_no_road_joins_is_unserved_as_unreachable_and_the_rest_is_planned(
    worker: str,
) -> None:
    plan = plan_meals_job(
        worker,
        meals(
            delivery("d1", LAT, 3.003, "Mme Roux"),
            delivery("d2", NORTH, 3.002, "M. Nord"),
            delivery("d3", LAT + 0.02, 3.003, "M. Champ"),  # 2.2 km from any road
        ),
        "meals-test",
    )

    assert [s["id"] for s in plan["vehicles"][0]["stops"]] == ["d1"]
    by_id = {u["id"]: u for u in plan["unserved"]}
    assert by_id["d2"]["reason"] == "unreachable" and by_id["d2"]["name"] == "M. Nord"
    assert by_id["d3"]["reason"] == "not_on_road_network"
    assert "d3 (M. Champ) is 1112 m from the nearest road (Ruelle)" in by_id["d3"]["detail"]
    assert by_id["d3"]["distance_m"] == pytest.approx(1112, abs=2)


def test_a_plan_fails_whole_only_when_nothing_can_be_planned_saying_why(worker: str) -> None:
    with pytest.raises(PlacementRefused) as nothing:
        plan_meals_job(worker, meals(delivery("d2", NORTH, 3.002, "M. Nord")), "meals-test")
    with pytest.raises(PlacementRefused) as kitchen:
        plan_meals_job(worker, meals(delivery("d1", LAT, 3.003), kitchen=[LAT + 0.02, 3.0]), "x")

    assert str(nothing.value) == (
        "nothing can be planned: d2: no road leads there from the vehicles' start and back"
    )
    assert "kitchen is 1112 m from the nearest road (Ruelle)" in str(kitchen.value)


def test_the_nearest_road_of_a_far_point_is_found_with_its_name() -> None:
    graph = two_pieces()
    router = Router(graph)
    nearest = router.snapper.nearest([LAT + 0.005 - 0.0001, LAT, float("nan")], [3.001, 3.001, 0])

    assert [graph.road_name(int(e)) for e in nearest.edge] == ["Grand-Rue", "Grand-Rue", ""]
    assert nearest.distance_m[1] == pytest.approx(0, abs=0.01)
    assert nearest.distance_m[2] == float("inf")


def _stop(stop_id: str) -> StopOut:
    return StopOut(id=stop_id, location=(LAT, 3.0), arrival="10:00", service_start="10:00")


def _vehicle(vehicle_id: str, *stops: str) -> VehicleRoundOut:
    return VehicleRoundOut(vehicle_id=vehicle_id, departure="09:00", return_time="12:00",
                           stops=[_stop(s) for s in stops], km=1, driving_minutes=1,
                           working_minutes=1, co2_kg=0.1)  # fmt: skip


def _plan(vehicles: list[VehicleRoundOut], unserved: list[str]) -> RoundPlan:
    return RoundPlan(
        round_id="r", kind="meals", date="2026-11-24", vehicles=vehicles,  # type: ignore[arg-type]
        unserved=[UnservedOut(id=u, reason="capacity", detail="full") for u in unserved],
        feasible=True, engine="ortools", solve_seconds=1.0,
    )  # fmt: skip


def test_a_replan_keeps_the_other_vans_unserved_stops_unless_it_settles_them() -> None:
    previous = _plan([_vehicle("van-1", "a"), _vehicle("van-2", "b")], ["x", "y"])
    rebuilt = _plan([_vehicle("van-1", "a", "x")], ["z"])

    merged = merge_replanned(previous, "van-1", rebuilt, ["x"])

    assert [v.vehicle_id for v in merged.vehicles] == ["van-1", "van-2"]
    assert [u.id for u in merged.unserved] == ["y", "z"]  # x now served; y is still nobody's
    assert merged.version == 2 and merged.changed == ["x"]
