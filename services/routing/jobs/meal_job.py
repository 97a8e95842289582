"""Meal rounds as jobs for the routing service's worker processes: plan, and re-plan one van.

Each job takes plain JSON (a contracts request), places its points on the worker's road graph,
computes the travel matrix, runs the pure solver (`rounds`), draws each van's road and returns a
`RoundPlan` as JSON. Deliveries that cannot be placed or reached are left out as unserved, named;
the rest is planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from contracts.rounds import (
    DeliveryIn,
    MealRoundRequest,
    RoundPlan,
    StopOut,
    UnservedOut,
    VehicleRoundOut,
    minutes_of,
)
from services.routing import matrix_pool
from services.routing.jobs.common import (
    Locations,
    SearchTrace,
    clock,
    matrices,
    not_on_road_network,
    planned_json,
    replan_start,
    unreachable_unserved,
)
from services.routing.jobs.drawing import vehicle_out
from services.routing.jobs.placement import (
    PlacementRefused,
    Spot,
    place,
    place_fixed,
    unreachable_stops,
    vehicle_position,
)
from services.routing.jobs.replan_merge import merge_replanned
from services.routing.matrix import Router
from services.routing.rounds import (
    Delivery,
    MealPlan,
    MealSettings,
    MealVehicle,
    plan_meal_round,
    replan_meal_round,
)

# Emission factors (ADEME Base Carbone orders of magnitude): a diesel utility van for meals.
CO2_KG_PER_KM_VAN = 0.25


def _label(delivery: DeliveryIn) -> str:
    return ", ".join(part for part in (delivery.recipient_name, delivery.address) if part)


def _placed_request(
    router: Router, request: MealRoundRequest, extra: Sequence[DeliveryIn] = ()
) -> tuple[MealRoundRequest, list[DeliveryIn], list[UnservedOut]]:
    """The request with every point on the road graph, the placed extra deliveries, and the
    deliveries left out (`not_on_road_network`). Refuses a kitchen or van end off the graph."""
    fixed = [Spot("kitchen", "", request.kitchen)]
    for v in request.vehicles:
        if v.start:
            fixed.append(Spot(f"vehicle {v.id} start", "", v.start))
        if v.end:
            fixed.append(Spot(f"vehicle {v.id} end", "", v.end))
    at = place_fixed(router, fixed, request.accept_nearest_road)
    vehicles = [
        v.model_copy(
            update={
                "start": at[f"vehicle {v.id} start"] if v.start else None,
                "end": at[f"vehicle {v.id} end"] if v.end else None,
            }
        )
        for v in request.vehicles
    ]
    everyone = [*request.deliveries, *extra]
    placement = place(
        router, [Spot(d.id, _label(d), d.location) for d in everyone], request.accept_nearest_road
    )
    off = not_on_road_network(placement.misplaced)
    placed = [
        d.model_copy(update={"location": placement.located[d.id]})
        for d in everyone
        if d.id in placement.located
    ]
    n = len([d for d in request.deliveries if d.id in placement.located])
    update = {"kitchen": at["kitchen"], "vehicles": vehicles, "deliveries": placed[:n]}
    return request.model_copy(update=update), placed[n:], off


def _meal_inputs(
    request: MealRoundRequest, locations: Locations, extra: Sequence[DeliveryIn] = ()
) -> tuple[list[Delivery], list[MealVehicle]]:
    deliveries = [
        Delivery(
            id=d.id,
            node=locations.add(d.location),
            window=(minutes_of(d.window_start) * 60, minutes_of(d.window_end) * 60),
            service=int(d.service_minutes * 60),
            boxes=d.boxes,
            preferred_vehicle=d.preferred_vehicle,
        )
        for d in (*request.deliveries, *extra)
    ]
    vehicles = [
        MealVehicle(
            id=v.id,
            capacity=int(v.capacity),
            shift=(minutes_of(v.shift_start) * 60, minutes_of(v.shift_end) * 60),
            start_node=locations.add(v.start) if v.start else 0,
            end_node=locations.add(v.end) if v.end else 0,
        )
        for v in request.vehicles
    ]
    return deliveries, vehicles


@dataclass(frozen=True)
class Reachable:
    deliveries: list[Delivery]
    unserved: list[UnservedOut]


def _reachable(
    deliveries: list[Delivery],
    vehicles: list[MealVehicle],
    raw_durations_s: Any,
    labels: dict[str, str],
) -> Reachable:
    cut = unreachable_stops(
        raw_durations_s,
        [d.node for d in deliveries],
        [(v.start_node, v.end_node) for v in vehicles],
    )
    names = [(d.id, labels.get(d.id, "")) for d in deliveries]
    out = unreachable_unserved(names, cut, "no road leads there from the vehicles' start and back")
    return Reachable([d for i, d in enumerate(deliveries) if i not in cut], out)


def _nothing_to_plan(unserved: list[UnservedOut]) -> PlacementRefused:
    why = [
        u.detail if u.reason == "not_on_road_network" else f"{u.id}: {u.detail}" for u in unserved
    ]
    return PlacementRefused("nothing can be planned: " + "; ".join(why))


def _meal_plan_out(
    router: Router,
    request: MealRoundRequest,
    plan: MealPlan,
    round_id: str,
    extra: Sequence[DeliveryIn] = (),
) -> RoundPlan:
    by_id = {d.id: d for d in (*request.deliveries, *extra)}
    vehicles = {v.id: v for v in request.vehicles}
    out: list[VehicleRoundOut] = []
    for vehicle_round in plan.rounds:
        vehicle = vehicles[vehicle_round.vehicle_id]
        done_stops = [
            StopOut(
                id=d, location=by_id[d].location, arrival="--:--", service_start="--:--",
                recipient_name=by_id[d].recipient_name, address=by_id[d].address, done=True,
                commune=by_id[d].commune,
            )
            for d in vehicle_round.done
        ]  # fmt: skip
        stops = done_stops + [
            StopOut(
                id=s.delivery_id,
                location=by_id[s.delivery_id].location,
                arrival=clock(s.arrival),
                service_start=clock(s.service_start),
                on_board_minutes=round(s.on_board_since_departure / 60, 1),
                recipient_name=by_id[s.delivery_id].recipient_name,
                address=by_id[s.delivery_id].address,
                window_start=by_id[s.delivery_id].window_start,
                window_end=by_id[s.delivery_id].window_end,
                commune=by_id[s.delivery_id].commune,
            )
            for s in vehicle_round.stops
        ]
        start = list(vehicle.start or request.kitchen)
        end = list(vehicle.end or request.kitchen)
        path = [start] + [list(s.location) for s in stops if not s.done] + [end]
        out.append(
            vehicle_out(
                router, vehicle_round, vehicle.id, vehicle.driver, stops, path, CO2_KG_PER_KM_VAN
            )
        )
    return RoundPlan(
        round_id=round_id,
        kind="meals",
        date=request.date,
        vehicles=out,
        unserved=[
            UnservedOut(
                id=u.delivery_id,
                name=_label(by_id[u.delivery_id]),
                reason=u.reason,
                detail=u.detail,
            )
            for u in plan.unserved
        ],
        feasible=plan.feasible,
        engine=plan.engine,
        solve_seconds=round(plan.seconds, 2),
    )


def plan_meals_job(version: str, request_json: dict[str, Any], round_id: str) -> dict[str, Any]:
    router = matrix_pool.worker_router(version)
    request, _, off_road = _placed_request(router, MealRoundRequest.model_validate(request_json))
    labels = {d.id: _label(d) for d in request.deliveries}
    locations = Locations(request.kitchen)
    deliveries, vehicles = _meal_inputs(request, locations)
    found = matrices(router, locations.points)
    reachable = _reachable(deliveries, vehicles, found.raw_durations_s, labels)
    left_out = off_road + reachable.unserved
    if not reachable.deliveries:
        raise _nothing_to_plan(left_out)
    settings = MealSettings(
        max_ride=int(request.max_ride_minutes * 60) if request.max_ride_minutes else None,
        time_limit=request.time_limit_s,
    )
    trace = SearchTrace()
    plan = plan_meal_round(
        reachable.deliveries, vehicles, found.duration, found.distance, settings, progress=trace
    )
    return planned_json(_meal_plan_out(router, request, plan, round_id), trace, left_out)


def replan_meals_job(
    version: str,
    request_json: dict[str, Any],
    previous_json: dict[str, Any],
    replan_json: dict[str, Any],
) -> dict[str, Any]:
    """Re-plan one vehicle's round from where it is; the other vehicles keep theirs."""
    start = replan_start(version, previous_json, replan_json)
    router, previous, change, own = start.router, start.previous, start.change, start.own
    request = MealRoundRequest.model_validate(request_json)
    order = [s.id for s in own.stops]
    vehicle_request = request.model_copy(
        update={
            "vehicles": [v for v in request.vehicles if v.id == change.vehicle_id],
            "deliveries": [d for d in request.deliveries if d.id in set(order)],
        }
    )
    # The stored request was placed when it was planned; added deliveries are placed now.
    vehicle_request, added_in, off_road = _placed_request(router, vehicle_request, change.added)
    here = vehicle_position(router, change.vehicle_id, change.position)
    locations = Locations(vehicle_request.kitchen)
    deliveries, vehicles = _meal_inputs(vehicle_request, locations, added_in)
    position = locations.add(here)
    found = matrices(router, locations.points)
    done = [d for d in order if d in set(change.done)]
    progress = start.progress(len(done), position)
    # The previous order with the done stops first, as the driver actually served them.
    previous_order = done + [d for d in order if d not in set(done)]
    kept = len(vehicle_request.deliveries)
    plan, changed = replan_meal_round(
        deliveries[:kept],
        vehicles,
        [[d for d in previous_order if d in {x.id for x in deliveries[:kept]}]],
        [progress],
        found.duration,
        found.distance,
        added=deliveries[kept:],
        cancelled=change.cancelled,
    )
    rebuilt = _meal_plan_out(router, vehicle_request, plan, previous.round_id, added_in)
    rebuilt = rebuilt.model_copy(update={"unserved": [*off_road, *rebuilt.unserved]})
    return merge_replanned(previous, change.vehicle_id, rebuilt, changed).model_dump(mode="json")
