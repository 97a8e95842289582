"""Waste rounds as jobs for the routing service's worker processes: plan, and re-plan one truck.

The registered containers come with the request (the service reads them from its store). Those
that cannot be placed on the road graph or reached from the depot are unserved, named, with the
reason; every other container is forecast and planned. The plan reports the engine that ran and
how long it searched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from contracts.rounds import (
    ContainerOut,
    FillReading,
    RoundPlan,
    StopOut,
    UnservedOut,
    VehicleRoundOut,
    WasteRoundRequest,
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
    Container,
    Reading,
    Truck,
    WastePlan,
    WasteSettings,
    plan_waste_round,
    replan_waste_round,
)

PARIS = ZoneInfo("Europe/Paris")
CO2_KG_PER_KM_TRUCK = 1.1  # a refuse-collection truck, order of magnitude


def _day_seconds(moment: dt.datetime, day: dt.date) -> int:
    """Seconds since the day's local midnight (negative for earlier days): the solver's clock."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    return int((moment - midnight).total_seconds())


@dataclass(frozen=True)
class WasteInputs:
    registry: list[ContainerOut]  # the containers planned, on the road graph
    containers: list[Container]
    trucks: list[Truck]
    disposal_nodes: list[int]
    left_out: list[UnservedOut]  # not on the road network, or unreachable


def _placed(
    router: Router, request: WasteRoundRequest, registry: list[ContainerOut]
) -> tuple[WasteRoundRequest, list[ContainerOut], list[UnservedOut]]:
    """Depot, disposal sites and trucks' starts placed (or the plan refused, naming them); the
    containers that can be placed, and those that cannot (`not_on_road_network`)."""
    fixed = [Spot("depot", "", request.depot)]
    fixed += [Spot(f"disposal site {i + 1}", "", s) for i, s in enumerate(request.disposal_sites)]
    fixed += [Spot(f"truck {t.id} start", "", t.start) for t in request.trucks if t.start]
    at = place_fixed(router, fixed, request.accept_nearest_road)
    placed_request = request.model_copy(
        update={
            "depot": at["depot"],
            "disposal_sites": [
                at[f"disposal site {i + 1}"] for i in range(len(request.disposal_sites))
            ],
            "trucks": [
                t.model_copy(update={"start": at[f"truck {t.id} start"] if t.start else None})
                for t in request.trucks
            ],
        }
    )
    placement = place(router, [Spot(c.id, c.name, c.location) for c in registry])
    off = not_on_road_network(placement.misplaced)
    return placed_request, [c for c in registry if c.id in placement.located], off


def _waste_inputs(
    router: Router,
    request: WasteRoundRequest,
    registry: list[ContainerOut],
    readings_json: dict[str, list[dict[str, Any]]],
    locations: Locations,
    extra_points: tuple[tuple[float, float], ...] = (),
) -> tuple[WasteInputs, Any]:
    disposal_nodes = [locations.add(site) for site in request.disposal_sites]
    containers = [
        Container(
            id=c.id,
            node=locations.add(c.location),
            volume_litres=c.volume_litres,
            readings=tuple(
                Reading(
                    at=_day_seconds(FillReading.model_validate(r).at, request.date),
                    level=float(r["level_pct"]) / 100,
                )
                for r in readings_json.get(c.id, [])
            ),
            density_kg_per_litre=c.density_kg_per_litre,
            service=int(c.service_minutes * 60),
        )
        for c in registry
    ]
    trucks = [
        Truck(
            id=v.id,
            capacity=v.capacity,
            shift=(minutes_of(v.shift_start) * 60, minutes_of(v.shift_end) * 60),
            depot_node=locations.add(v.start) if v.start else 0,
        )
        for v in request.trucks
    ]
    for point in extra_points:
        locations.add(point)
    found = matrices(router, locations.points)
    cut = unreachable_stops(
        found.raw_durations_s,
        [c.node for c in containers],
        [(t.depot_node, t.depot_node) for t in trucks],
    )
    names = [(c.id, c.name) for c in registry]
    left_out = unreachable_unserved(names, cut, "no road leads there from the depot and back")
    inputs = WasteInputs(
        [c for i, c in enumerate(registry) if i not in cut],
        [c for i, c in enumerate(containers) if i not in cut],
        trucks,
        disposal_nodes,
        left_out,
    )
    return inputs, found


def _waste_settings(request: WasteRoundRequest) -> WasteSettings:
    return WasteSettings(
        threshold=request.threshold_pct / 100,
        optional_from=request.optional_from_pct / 100,
        unit=request.capacity_unit,
        time_limit=request.time_limit_s,
    )


def plan_waste_job(
    version: str,
    request_json: dict[str, Any],
    containers_json: list[dict[str, Any]],
    readings_json: dict[str, list[dict[str, Any]]],
    round_id: str,
) -> dict[str, Any]:
    router = matrix_pool.worker_router(version)
    registry = [ContainerOut.model_validate(c) for c in containers_json]
    request, placed, off_road = _placed(
        router, WasteRoundRequest.model_validate(request_json), registry
    )
    locations = Locations(request.depot)
    inputs, found = _waste_inputs(router, request, placed, readings_json, locations)
    left_out = off_road + inputs.left_out
    if not inputs.containers:
        raise PlacementRefused(
            "nothing can be planned: " + "; ".join(f"{u.id}: {u.detail}" for u in left_out)
        )
    trace = SearchTrace()
    plan = plan_waste_round(
        inputs.containers,
        inputs.trucks,
        inputs.disposal_nodes,
        minutes_of(request.collection_time) * 60,
        found.duration,
        found.distance,
        _waste_settings(request),
        progress=trace,
    )
    out = _waste_plan_out(router, request, plan, inputs.registry, locations, round_id)
    return planned_json(out, trace, left_out)


def _waste_plan_out(
    router: Router,
    request: WasteRoundRequest,
    plan: WastePlan,
    registry: list[ContainerOut],
    locations: Locations,
    round_id: str,
    done: tuple[str, ...] = (),
    done_locations: dict[str, tuple[float, float]] | None = None,
) -> RoundPlan:
    by_id = {c.id: c for c in registry}
    where_done = done_locations or {}
    drivers = {v.id: v.driver for v in request.trucks}
    vehicles: list[VehicleRoundOut] = []
    for truck_round in plan.rounds:
        stops: list[StopOut] = [
            StopOut(
                id=cid, location=where_done.get(cid) or by_id[cid].location, arrival="--:--",
                service_start="--:--", kind="container", done=True,
            )
            for cid in done
        ]  # fmt: skip
        for trip in truck_round.trips:
            for collected in trip.collections:
                container = by_id[collected.container_id]
                stops.append(
                    StopOut(
                        id=container.id,
                        location=container.location,
                        arrival=clock(collected.arrival),
                        service_start=clock(collected.arrival),
                        kind="container",
                        recipient_name=container.name,
                        address=f"{container.stream}, {container.volume_litres:.0f} L",
                    )
                )
            site = locations.points[trip.disposal_node]
            stops.append(
                StopOut(
                    id=f"disposal-{trip.disposal_node}",
                    location=(site[0], site[1]),
                    arrival=clock(trip.unload_start),
                    service_start=clock(trip.unload_start),
                    kind="disposal",
                    address=f"unload {trip.load:.0f} {request.capacity_unit}",
                )
            )
        depot = list(request.depot)
        path = [depot] + [list(s.location) for s in stops if not s.done] + [depot]
        vehicles.append(
            vehicle_out(
                router,
                truck_round,
                truck_round.truck_id,
                drivers.get(truck_round.truck_id),
                stops,
                path,
                CO2_KG_PER_KM_TRUCK,
            )
        )
    return RoundPlan(
        round_id=round_id,
        kind="waste",
        date=request.date,
        vehicles=vehicles,
        unserved=[
            UnservedOut(
                id=f.container_id,
                name=by_id[f.container_id].name,
                reason="no_truck_could_take_it",
                detail=f"forecast {f.level:.0%} at collection time",
            )
            for f in plan.missed_mandatory
        ],
        skipped=[
            {
                "id": f.container_id,
                "forecast_pct": round(f.level * 100, 1),
                "rate_pct_per_day": round(f.rate_per_day * 100, 1),
            }
            for f in plan.skipped
        ],
        feasible=plan.feasible,
        engine=plan.engine,
        solve_seconds=round(plan.seconds, 2),
    )


def replan_waste_job(
    version: str,
    request_json: dict[str, Any],
    previous_json: dict[str, Any],
    replan_json: dict[str, Any],
    containers_json: list[dict[str, Any]],
    readings_json: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """Re-plan one truck from where it is: its remaining containers plus urgent ones."""
    start = replan_start(version, previous_json, replan_json)
    router, previous, change, own = start.router, start.previous, start.change, start.own
    request = WasteRoundRequest.model_validate(request_json)
    order = [s.id for s in own.stops if s.kind == "container"]
    urgent_ids = [c for c in change.urgent_containers if c not in order]
    wanted = set(order) | set(urgent_ids)
    truck_request = request.model_copy(
        update={"trucks": [t for t in request.trucks if t.id == change.vehicle_id]}
    )
    registry = [ContainerOut.model_validate(c) for c in containers_json if c["id"] in wanted]
    truck_request, placed, off_road = _placed(router, truck_request, registry)
    here = vehicle_position(router, change.vehicle_id, change.position)
    locations = Locations(truck_request.depot)
    inputs, found = _waste_inputs(
        router, truck_request, placed, readings_json, locations, extra_points=(here,)
    )
    position = locations.add(here)
    planned = {c.id for c in inputs.containers}
    order = [c for c in order if c in planned]
    done = [c for c in order if c in set(change.done)]
    regular = [c for c in inputs.containers if c.id not in set(urgent_ids)]
    urgent = [c for c in inputs.containers if c.id in set(urgent_ids)]
    plan, changed = replan_waste_round(
        regular,
        inputs.trucks,
        inputs.disposal_nodes,
        minutes_of(change.now) * 60,
        [done + [c for c in order if c not in set(done)]],
        [start.progress(len(done), position)],
        found.duration,
        found.distance,
        urgent=urgent,
        cancelled=change.cancelled,
        settings=replace(_waste_settings(truck_request), time_limit=change.time_limit_s),
    )
    done_at = {s.id: s.location for s in own.stops if s.done}
    rebuilt = _waste_plan_out(
        router, truck_request, plan, inputs.registry, locations, previous.round_id,
        tuple(done), done_at,
    )  # fmt: skip
    rebuilt = rebuilt.model_copy(
        update={"unserved": [*off_road, *inputs.left_out, *rebuilt.unserved]}
    )
    return merge_replanned(previous, change.vehicle_id, rebuilt, changed).model_dump(mode="json")
