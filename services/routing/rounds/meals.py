"""Meal-delivery rounds: deliveries with windows, vehicles with box capacity, the cold/hot chain.

Matrices come from the road graph (index 0 = the kitchen): `duration` in seconds, `distance` in
metres. The objective is driving time; every delivery is worth `unserved_penalty` so the solver
serves all it can, and those it cannot are returned with a diagnosed reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checker import check
from .problem import IntMatrix, Problem, Solution, Stop, Vehicle
from .solver import Progress, solve

# Tank-to-wheel order of magnitude for a small diesel delivery van. Set it from the fleet's own
# figures (fuel consumption x 2.6 kg CO2 per litre of diesel) when they are known.
CO2_G_PER_KM = 220.0


@dataclass(frozen=True)
class Delivery:
    id: str
    node: int  # index in the matrices
    window: tuple[int, int]  # earliest and latest start of service, seconds from midnight
    service: int = 120  # seconds at the door
    boxes: int = 1
    preferred_vehicle: str | None = None  # the usual driver, for continuity (soft)


@dataclass(frozen=True)
class MealVehicle:
    id: str
    capacity: int  # boxes
    shift: tuple[int, int]  # seconds from midnight
    start_node: int = 0
    end_node: int = 0


@dataclass(frozen=True)
class MealSettings:
    max_ride: int | None = 2 * 3600  # kitchen to door, seconds (cold/hot chain); None: no limit
    preference_penalty: int = 600  # serving with another driver costs as much as 10 min driving
    unserved_penalty: int = 1_000_000  # far above any round's driving time
    time_limit: float = 5.0
    seed: int = 0
    co2_g_per_km: float = CO2_G_PER_KM


@dataclass(frozen=True)
class PlannedStop:
    delivery_id: str
    node: int
    arrival: int  # when the vehicle gets there
    service_start: int  # later than arrival when it waits for the window
    on_board_since_departure: int  # seconds the meal spent in the vehicle


@dataclass(frozen=True)
class VehicleRound:
    vehicle_id: str
    departure: int
    return_time: int
    stops: tuple[PlannedStop, ...]
    km: float
    driving_minutes: float
    working_minutes: float
    co2_kg: float
    done: tuple[str, ...] = ()  # re-planning: deliveries already made, in their order


@dataclass(frozen=True)
class Unserved:
    delivery_id: str
    reason: str  # "outside_every_window" | "capacity" | "chain_limit" | "no_room_in_schedules"
    detail: str


@dataclass(frozen=True)
class MealPlan:
    rounds: tuple[VehicleRound, ...]
    unserved: tuple[Unserved, ...]
    feasible: bool
    engine: str
    seconds: float
    reason: str = ""  # why there is no plan at all, when feasible is False


def meal_problem(
    deliveries: list[Delivery],
    vehicles: list[MealVehicle],
    duration: IntMatrix,
    settings: MealSettings = MealSettings(),
) -> Problem:
    index = {v.id: i for i, v in enumerate(vehicles)}
    stops = tuple(
        Stop(
            location=d.node,
            demand=d.boxes,
            service=d.service,
            tw_early=d.window[0],
            tw_late=d.window[1],
            required=False,
            prize=settings.unserved_penalty,
            preferred_vehicle=index.get(d.preferred_vehicle) if d.preferred_vehicle else None,
        )
        for d in deliveries
    )
    fleet = tuple(
        Vehicle(v.start_node, v.end_node, v.capacity, v.shift[0], v.shift[1]) for v in vehicles
    )
    duration = np.asarray(duration, dtype=np.int64)
    return Problem(
        duration,
        duration,
        stops,
        fleet,
        max_ride=settings.max_ride,
        preference_penalty=settings.preference_penalty,
    )


def diagnose(
    problem: Problem, stop_index: int, routes: tuple[tuple[int, ...], ...]
) -> tuple[str, str]:
    """Why a stop is unserved: test it alone against each constraint, then against the plan."""
    stop, dur = problem.stops[stop_index], problem.duration
    fits_window = [
        max(v.shift_start + dur[v.start, stop.location], stop.tw_early) <= stop.tw_late
        and max(v.shift_start + dur[v.start, stop.location], stop.tw_early)
        + stop.service
        + dur[stop.location, v.end]
        <= v.shift_end
        for v in problem.vehicles
    ]
    if not any(fits_window):
        return "outside_every_window", "no vehicle can reach it within its window and shift"
    if stop.demand > max(v.capacity for v in problem.vehicles):
        return "capacity", f"{stop.demand} boxes, more than any vehicle carries"
    if problem.max_ride is not None:
        rides = [
            int(dur[v.start, stop.location]) + v.ride_elapsed
            for v, ok in zip(problem.vehicles, fits_window, strict=True)
            if ok
        ]
        if min(rides) > problem.max_ride:
            return (
                "chain_limit",
                f"{min(rides)} s from the kitchen, over the {problem.max_ride} s limit",
            )
    spare = [
        v.capacity - v.initial_load - sum(problem.stops[s].demand for s in r if s >= 0)
        for v, r in zip(problem.vehicles, routes, strict=False)
    ]
    if all(room < stop.demand for room in spare):
        return "capacity", "every vehicle is full with the other deliveries"
    return "no_room_in_schedules", "no vehicle can fit it without missing other windows"


def describe(
    problem: Problem,
    solution: Solution,
    ids: list[str],
    vehicle_ids: list[str],
    distance: IntMatrix,
    settings: MealSettings,
    done: tuple[tuple[str, ...], ...] | None = None,
) -> MealPlan:
    """Turn a solution into rounds with times and totals, and diagnose what is unserved."""
    if not solution.feasible:
        return MealPlan((), (), False, solution.engine, solution.seconds, solution.reason)
    verdict = check(problem, solution.routes)
    rounds = []
    for v, (vehicle, route) in enumerate(zip(problem.vehicles, solution.routes, strict=True)):
        sched = verdict.schedules[v]
        already = done[v] if done else ()
        if sched is None:
            if already:
                t0 = vehicle.shift_start  # nothing left to do: it stands where it is, now
                rounds.append(VehicleRound(vehicle_ids[v], t0, t0, (), 0.0, 0.0, 0.0, 0.0, already))
            continue
        stops, t, here, metres, driving = [], sched.departure, vehicle.start, 0, 0
        for visit, begin in zip(route, sched.begins, strict=True):
            stop = problem.stops[visit]
            travel = int(problem.duration[here, stop.location])
            stops.append(
                PlannedStop(
                    ids[visit],
                    stop.location,
                    t + travel,
                    begin,
                    begin - sched.departure + vehicle.ride_elapsed,
                )
            )
            metres += int(distance[here, stop.location])
            driving += travel
            t, here = begin + stop.service, stop.location
        metres += int(distance[here, vehicle.end])
        driving += int(problem.duration[here, vehicle.end])
        km = metres / 1000
        rounds.append(
            VehicleRound(
                vehicle_ids[v],
                sched.departure,
                sched.arrival,
                tuple(stops),
                round(km, 2),
                round(driving / 60, 1),
                round((sched.arrival - sched.departure) / 60, 1),
                round(km * settings.co2_g_per_km / 1000, 2),
                already,
            )
        )
    unserved = tuple(
        Unserved(ids[i], *diagnose(problem, i, solution.routes)) for i in verdict.unserved
    )
    return MealPlan(tuple(rounds), unserved, True, solution.engine, solution.seconds)


def plan_meal_round(
    deliveries: list[Delivery],
    vehicles: list[MealVehicle],
    duration: IntMatrix,
    distance: IntMatrix,
    settings: MealSettings = MealSettings(),
    progress: Progress | None = None,
) -> MealPlan:
    """Plan the day's meal rounds. Pure and picklable: run it in the service's process pool."""
    problem = meal_problem(deliveries, vehicles, duration, settings)
    solution = solve(problem, settings.time_limit, settings.seed, progress)
    return describe(
        problem,
        solution,
        [d.id for d in deliveries],
        [v.id for v in vehicles],
        np.asarray(distance, dtype=np.int64),
        settings,
    )
