"""Round planning as jobs for the routing service's worker processes.

Each job takes plain JSON (a contracts request), computes the travel matrix on the worker's road
graph, runs the pure solver (`rounds`), draws each vehicle's road geometry and returns a
`RoundPlan` as JSON. Everything CPU-bound happens here, in a spawned process, never in a nameko
worker (DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from contracts.rounds import (
    ContainerIn,
    DeliveryIn,
    FillReading,
    MealRoundRequest,
    ReplanRequest,
    RoundPlan,
    StopOut,
    UnservedOut,
    VehicleRoundOut,
    WasteRoundRequest,
    minutes_of,
)
from services.routing import matrix_pool
from services.routing.matrix import Router
from services.routing.rounds import (
    Container,
    Delivery,
    MealPlan,
    MealSettings,
    MealVehicle,
    Reading,
    Truck,
    TruckRound,
    VehicleProgress,
    VehicleRound,
    WastePlan,
    WasteSettings,
    plan_meal_round,
    plan_waste_round,
    replan_meal_round,
    replan_waste_round,
)

IntMatrix = npt.NDArray[np.int64]
PARIS = ZoneInfo("Europe/Paris")
UNREACHABLE_S = 10 * 24 * 3600  # no road: far beyond any shift, so the solver never uses it
# Emission factors (ADEME Base Carbone orders of magnitude): a diesel utility van for meals.
CO2_KG_PER_KM_VAN = 0.25


class Locations:
    """Distinct points of a problem; index 0 is the depot."""

    def __init__(self, depot: Sequence[float]) -> None:
        self.points: list[list[float]] = []
        self._index: dict[tuple[float, float], int] = {}
        self.add(depot)

    def add(self, point: Sequence[float]) -> int:
        key = (round(float(point[0]), 7), round(float(point[1]), 7))
        if key not in self._index:
            self._index[key] = len(self.points)
            self.points.append([key[0], key[1]])
        return self._index[key]


def _matrices(router: Router, points: list[list[float]]) -> tuple[IntMatrix, IntMatrix]:
    matrix = router.travel_matrix(points)
    durations = np.where(
        np.isfinite(matrix.durations_s), np.rint(matrix.durations_s), UNREACHABLE_S
    )
    distances = np.where(np.isfinite(matrix.distances_m), np.rint(matrix.distances_m), 0)
    return durations.astype(np.int64), distances.astype(np.int64)


def _clock(seconds: int | float) -> str:
    minutes = round(seconds / 60)
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


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


def _geometry(router: Router, points: list[list[float]]) -> dict[str, Any] | None:
    if len(points) < 2:
        return None
    try:
        return router.route(points)
    except ValueError:  # an unreachable leg: the plan stands, its drawing does not
        return None


def _vehicle_out(
    router: Router,
    solved: VehicleRound | TruckRound,
    vehicle_id: str,
    driver: str | None,
    stops: list[StopOut],
    path: list[list[float]],
    co2_kg_per_km: float,
) -> VehicleRoundOut:
    """One vehicle's round as a driver reads it, with its road drawn on our own graph."""
    return VehicleRoundOut(
        vehicle_id=vehicle_id,
        driver=driver,
        departure=_clock(solved.departure),
        return_time=_clock(solved.return_time),
        stops=stops,
        km=round(solved.km, 2),
        driving_minutes=round(solved.driving_minutes, 1),
        working_minutes=round(solved.working_minutes, 1),
        co2_kg=round(solved.km * co2_kg_per_km, 2),
        geometry=_geometry(router, path),
    )


def _meal_plan_out(
    router: Router,
    request: MealRoundRequest,
    plan: MealPlan,
    locations: Locations,
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
            )
            for d in vehicle_round.done
        ]  # fmt: skip
        stops = done_stops + [
            StopOut(
                id=s.delivery_id,
                location=by_id[s.delivery_id].location,
                arrival=_clock(s.arrival),
                service_start=_clock(s.service_start),
                on_board_minutes=round(s.on_board_since_departure / 60, 1),
                recipient_name=by_id[s.delivery_id].recipient_name,
                address=by_id[s.delivery_id].address,
                window_start=by_id[s.delivery_id].window_start,
                window_end=by_id[s.delivery_id].window_end,
            )
            for s in vehicle_round.stops
        ]
        start = list(vehicle.start or request.kitchen)
        end = list(vehicle.end or request.kitchen)
        path = [start] + [list(s.location) for s in stops if not s.done] + [end]
        out.append(
            _vehicle_out(
                router, vehicle_round, vehicle.id, vehicle.driver, stops, path, CO2_KG_PER_KM_VAN
            )
        )
    return RoundPlan(
        round_id=round_id,
        kind="meals",
        date=request.date,
        vehicles=out,
        unserved=[
            UnservedOut(id=u.delivery_id, reason=u.reason, detail=u.detail) for u in plan.unserved
        ],
        feasible=plan.feasible,
        engine=plan.engine,
        solve_seconds=round(plan.seconds, 2),
    )


class SearchTrace:
    """Collects the solver's progress reports (each better plan found, and when)."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    def __call__(self, best_cost: int, elapsed_s: float, engine: str) -> None:
        self.steps.append(
            {"elapsed_s": round(elapsed_s, 2), "best_cost": int(best_cost), "engine": engine}
        )


def plan_meals_job(version: str, request_json: dict[str, Any], round_id: str) -> dict[str, Any]:
    router = matrix_pool.worker_router(version)
    request = MealRoundRequest.model_validate(request_json)
    locations = Locations(request.kitchen)
    deliveries, vehicles = _meal_inputs(request, locations)
    duration, distance = _matrices(router, locations.points)
    settings = MealSettings(
        max_ride=int(request.max_ride_minutes * 60) if request.max_ride_minutes else None,
        time_limit=request.time_limit_s,
    )
    trace = SearchTrace()
    plan = plan_meal_round(deliveries, vehicles, duration, distance, settings, progress=trace)
    out = _meal_plan_out(router, request, plan, locations, round_id)
    return out.model_copy(update={"search_progress": trace.steps}).model_dump(mode="json")


def replan_meals_job(
    version: str,
    request_json: dict[str, Any],
    previous_json: dict[str, Any],
    replan_json: dict[str, Any],
) -> dict[str, Any]:
    """Re-plan one vehicle's round from where it is; the other vehicles keep theirs."""
    router = matrix_pool.worker_router(version)
    request = MealRoundRequest.model_validate(request_json)
    previous = RoundPlan.model_validate(previous_json)
    change = ReplanRequest.model_validate(replan_json)
    own = next(v for v in previous.vehicles if v.vehicle_id == change.vehicle_id)
    order = [s.id for s in own.stops]
    vehicle_request = request.model_copy(
        update={
            "vehicles": [v for v in request.vehicles if v.id == change.vehicle_id],
            "deliveries": [d for d in request.deliveries if d.id in set(order)],
        }
    )
    locations = Locations(request.kitchen)
    deliveries, vehicles = _meal_inputs(vehicle_request, locations, change.added)
    position = locations.add(change.position)
    duration, distance = _matrices(router, locations.points)
    done = [d for d in order if d in set(change.done)]
    departed = minutes_of(own.departure) * 60
    progress = VehicleProgress(
        done=len(done),
        position=position,
        now=minutes_of(change.now) * 60,
        departed_at=departed,
        delay=int(change.delay_minutes * 60),
    )
    # The previous order with the done stops first, as the driver actually served them.
    previous_order = done + [d for d in order if d not in set(done)]
    added = deliveries[len(vehicle_request.deliveries) :]
    plan, changed = replan_meal_round(
        deliveries[: len(vehicle_request.deliveries)],
        vehicles,
        [previous_order],
        [progress],
        duration,
        distance,
        added=added,
        cancelled=change.cancelled,
    )
    rebuilt = _meal_plan_out(
        router, vehicle_request, plan, locations, previous.round_id, change.added
    )
    others = [v for v in previous.vehicles if v.vehicle_id != change.vehicle_id]
    return previous.model_copy(
        update={
            "version": previous.version + 1,
            "vehicles": sorted([*others, *rebuilt.vehicles], key=lambda v: v.vehicle_id),
            "unserved": [u for u in previous.unserved] + rebuilt.unserved,
            "feasible": rebuilt.feasible,
            "engine": rebuilt.engine,
            "solve_seconds": rebuilt.solve_seconds,
            "changed": list(changed),
        }
    ).model_dump(mode="json")


CO2_KG_PER_KM_TRUCK = 1.1  # a refuse-collection truck, order of magnitude


def _day_seconds(moment: dt.datetime, day: dt.date) -> int:
    """Seconds since the day's local midnight (negative for earlier days): the solver's clock."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    return int((moment - midnight).total_seconds())


@dataclass(frozen=True)
class WasteInputs:
    registry: list[ContainerIn]
    containers: list[Container]
    trucks: list[Truck]
    disposal_nodes: list[int]


def _waste_inputs(
    request: WasteRoundRequest,
    containers_json: list[dict[str, Any]],
    readings_json: dict[str, list[dict[str, Any]]],
    locations: Locations,
) -> WasteInputs:
    registry = [ContainerIn.model_validate(c) for c in containers_json]
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
    return WasteInputs(registry, containers, trucks, disposal_nodes)


def plan_waste_job(
    version: str,
    request_json: dict[str, Any],
    containers_json: list[dict[str, Any]],
    readings_json: dict[str, list[dict[str, Any]]],
    round_id: str,
) -> dict[str, Any]:
    router = matrix_pool.worker_router(version)
    request = WasteRoundRequest.model_validate(request_json)
    locations = Locations(request.depot)
    inputs = _waste_inputs(request, containers_json, readings_json, locations)
    duration, distance = _matrices(router, locations.points)
    settings = _waste_settings(request)
    trace = SearchTrace()
    plan = plan_waste_round(
        inputs.containers,
        inputs.trucks,
        inputs.disposal_nodes,
        minutes_of(request.collection_time) * 60,
        duration,
        distance,
        settings,
        progress=trace,
    )
    out = _waste_plan_out(router, request, plan, inputs.registry, locations, round_id)
    return out.model_copy(update={"search_progress": trace.steps}).model_dump(mode="json")


def _waste_settings(request: WasteRoundRequest) -> WasteSettings:
    return WasteSettings(
        threshold=request.threshold_pct / 100,
        optional_from=request.optional_from_pct / 100,
        unit=request.capacity_unit,
        time_limit=request.time_limit_s,
    )


def _waste_plan_out(
    router: Router,
    request: WasteRoundRequest,
    plan: WastePlan,
    registry: list[ContainerIn],
    locations: Locations,
    round_id: str,
    done: Sequence[str] = (),
) -> RoundPlan:
    by_id = {c.id: c for c in registry}
    drivers = {v.id: v.driver for v in request.trucks}
    vehicles: list[VehicleRoundOut] = []
    for truck_round in plan.rounds:
        stops: list[StopOut] = [
            StopOut(
                id=cid, location=by_id[cid].location, arrival="--:--", service_start="--:--",
                kind="container", done=True,
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
                        arrival=_clock(collected.arrival),
                        service_start=_clock(collected.arrival),
                        kind="container",
                        address=f"{container.stream}, {container.volume_litres:.0f} L",
                    )
                )
            site = locations.points[trip.disposal_node]
            stops.append(
                StopOut(
                    id=f"disposal-{trip.disposal_node}",
                    location=(site[0], site[1]),
                    arrival=_clock(trip.unload_start),
                    service_start=_clock(trip.unload_start),
                    kind="disposal",
                    address=f"unload {trip.load:.0f} {request.capacity_unit}",
                )
            )
        depot = list(request.depot)
        path = [depot] + [list(s.location) for s in stops if not s.done] + [depot]
        vehicles.append(
            _vehicle_out(
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
        engine="ortools",
        solve_seconds=0.0,
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
    router = matrix_pool.worker_router(version)
    request = WasteRoundRequest.model_validate(request_json)
    previous = RoundPlan.model_validate(previous_json)
    change = ReplanRequest.model_validate(replan_json)
    own = next(v for v in previous.vehicles if v.vehicle_id == change.vehicle_id)
    order = [s.id for s in own.stops if s.kind == "container"]
    urgent_ids = [c for c in change.urgent_containers if c not in order]
    wanted = set(order) | set(urgent_ids)
    truck_request = request.model_copy(
        update={"trucks": [t for t in request.trucks if t.id == change.vehicle_id]}
    )
    locations = Locations(request.depot)
    inputs = _waste_inputs(
        truck_request, [c for c in containers_json if c["id"] in wanted], readings_json, locations
    )
    position = locations.add(change.position)
    duration, distance = _matrices(router, locations.points)
    done = [c for c in order if c in set(change.done)]
    regular = [c for c in inputs.containers if c.id not in set(urgent_ids)]
    urgent = [c for c in inputs.containers if c.id in set(urgent_ids)]
    plan, changed = replan_waste_round(
        regular,
        inputs.trucks,
        inputs.disposal_nodes,
        minutes_of(change.now) * 60,
        [done + [c for c in order if c not in set(done)]],
        [
            VehicleProgress(
                done=len(done),
                position=position,
                now=minutes_of(change.now) * 60,
                departed_at=minutes_of(own.departure) * 60,
                delay=int(change.delay_minutes * 60),
            )
        ],
        duration,
        distance,
        urgent=urgent,
        cancelled=change.cancelled,
        settings=replace(_waste_settings(truck_request), time_limit=change.time_limit_s),
    )
    rebuilt = _waste_plan_out(
        router, truck_request, plan, inputs.registry, locations, previous.round_id, done
    )
    others = [v for v in previous.vehicles if v.vehicle_id != change.vehicle_id]
    return previous.model_copy(
        update={
            "version": previous.version + 1,
            "vehicles": sorted([*others, *rebuilt.vehicles], key=lambda v: v.vehicle_id),
            "unserved": rebuilt.unserved,
            "feasible": rebuilt.feasible,
            "changed": list(changed),
        }
    ).model_dump(mode="json")
