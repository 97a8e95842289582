"""Re-planning a round under way: from where each vehicle is, now.

Done visits never move: they leave the problem and are put back in front of the new routes. Each
vehicle starts again from its current position at the current time (plus any delay the driver
reports), already on the road, with the load it carries and the time its meals have spent on
board counted against the chain limit.

Stability penalty (`change_penalty`, default 300 s, i.e. five minutes of driving): each remaining
stop that the new plan reaches from another predecessor than before (predecessors counted among the
previous stops and the vehicle's position; cancelled stops are skipped over) or with another vehicle
costs that much. The previous order therefore survives unless a change saves more driving than
the penalties it adds. Arcs into or out of added stops are free, so an added stop goes where it
costs least. The report names the stops whose predecessor changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .checker import changed_stops
from .meals import Delivery, MealPlan, MealSettings, MealVehicle, describe, meal_problem
from .problem import IntMatrix, Problem, Solution, is_reload
from .solver import Progress, solve
from .waste import (
    Container,
    Truck,
    WastePlan,
    WasteSettings,
    describe_waste,
    forecast_fill,
    waste_problem,
)

CHANGE_PENALTY = 300
REPLAN_SETTINGS = MealSettings(time_limit=3.0)  # a re-plan answers a driver: keep it short
REPLAN_WASTE_SETTINGS = WasteSettings(time_limit=3.0)


@dataclass(frozen=True)
class VehicleProgress:
    """Where a vehicle is in its previous route."""

    done: int  # how many visits of its previous route are done (a prefix)
    position: int  # location index where it is now
    now: int  # the current time
    departed_at: int | None = None  # when it left (the chain clock); None if not left yet
    delay: int = 0  # seconds the driver reports being late: ready only at now + delay
    load: int | None = None  # what it carries now, if measured (a truck's scale); else derived


@dataclass(frozen=True)
class Replan:
    """The new plan. `problem` and `solution` are the problem as seen from now (remaining stops
    only, renumbered; `keep[i]` is the original index of its stop i) and its solution."""

    problem: Problem
    solution: Solution
    keep: tuple[int, ...]
    routes: tuple[tuple[int, ...], ...]  # full routes in the original stop indices, done first
    done: tuple[tuple[int, ...], ...]
    changed: tuple[int, ...]  # original stop indices whose predecessor changed
    change_penalty: int


def replan(
    problem: Problem,
    previous: tuple[tuple[int, ...], ...],
    progress: tuple[VehicleProgress, ...],
    cancelled: frozenset[int] = frozenset(),
    change_penalty: int = CHANGE_PENALTY,
    time_limit: float = 3.0,
    seed: int = 0,
    on_progress: Progress | None = None,
) -> Replan:
    """Re-plan `problem` (whose stops include any added ones) given the previous routes."""
    done = tuple(route[: p.done] for route, p in zip(previous, progress, strict=True))
    done_stops = {s for route in done for s in route if not is_reload(s)}
    keep = [i for i in range(len(problem.stops)) if i not in done_stops and i not in cancelled]
    new_index = {old: new for new, old in enumerate(keep)}
    vehicles = []
    for vehicle, route, p in zip(problem.vehicles, done, progress, strict=True):
        on_road = p.done > 0 or p.departed_at is not None
        load = vehicle.initial_load
        for visit in route:
            load = 0 if is_reload(visit) else load + problem.stops[visit].demand
        if p.load is not None:
            load = p.load
        ready = p.now + p.delay
        vehicles.append(
            replace(
                vehicle,
                start=p.position if on_road else vehicle.start,
                shift_start=max(ready, vehicle.shift_start),  # no vehicle leaves in the past
                fixed_departure=on_road,
                ride_elapsed=(ready - p.departed_at) if p.departed_at is not None else 0,
                initial_load=load,
            )
        )
    remaining = tuple(
        tuple(new_index[s] for s in route[p.done :] if s in new_index)
        for route, p in zip(previous, progress, strict=True)
    )
    sub = replace(
        problem,
        stops=tuple(problem.stops[i] for i in keep),
        vehicles=tuple(vehicles),
        previous_routes=remaining,
        change_penalty=change_penalty,
    )
    solution = solve(sub, time_limit, seed, on_progress, initial_routes=remaining)
    routes = tuple(
        d + tuple(keep[s] if s >= 0 else s for s in r)
        for d, r in zip(done, solution.routes or ((),) * len(done), strict=True)
    )
    changed = tuple(keep[s] for s in changed_stops(sub, solution.routes)) if solution.routes else ()
    return Replan(sub, solution, tuple(keep), routes, done, changed, change_penalty)


def replan_meal_round(
    deliveries: list[Delivery],
    vehicles: list[MealVehicle],
    previous: Sequence[Sequence[str]],
    progress: Sequence[VehicleProgress],
    duration: IntMatrix,
    distance: IntMatrix,
    added: Sequence[Delivery] = (),
    cancelled: Sequence[str] = (),
    settings: MealSettings = REPLAN_SETTINGS,
    change_penalty: int = CHANGE_PENALTY,
) -> tuple[MealPlan, tuple[str, ...]]:
    """The new meal plan from where each vehicle is, and the deliveries whose order changed.

    `previous` holds each vehicle's previous order of delivery ids (done ones first). Added
    deliveries are assumed to be on board already (spare meals) or loaded at the kitchen by a
    vehicle that has not left yet.
    """
    everything = list(deliveries) + list(added)
    ids = [d.id for d in everything]
    position = {d: i for i, d in enumerate(ids)}
    problem = meal_problem(everything, vehicles, duration, settings)
    result = replan(
        problem,
        tuple(tuple(position[d] for d in route) for route in previous),
        tuple(progress),
        frozenset(position[d] for d in cancelled if d in position),
        change_penalty,
        settings.time_limit,
        settings.seed,
    )
    plan = describe(
        result.problem,
        result.solution,
        [ids[i] for i in result.keep],
        [v.id for v in vehicles],
        np.asarray(distance, dtype=np.int64),
        settings,
        tuple(tuple(ids[s] for s in d if s >= 0) for d in result.done),
    )
    return plan, tuple(ids[i] for i in result.changed)


def replan_waste_round(
    containers: list[Container],
    trucks: list[Truck],
    disposal_nodes: list[int],
    collection_time: int,
    previous: Sequence[Sequence[str]],
    progress: Sequence[VehicleProgress],
    duration: IntMatrix,
    distance: IntMatrix,
    urgent: Sequence[Container] = (),
    cancelled: Sequence[str] = (),
    settings: WasteSettings = REPLAN_WASTE_SETTINGS,
    change_penalty: int = CHANGE_PENALTY,
) -> tuple[WastePlan, tuple[str, ...]]:
    """The new waste plan from where each truck is, and the containers whose order changed.

    `previous` holds each truck's previous order of container ids (disposal visits left out);
    `progress[v].done` counts containers done, and `progress[v].load` should say what the truck
    carries now (after any unloading). `urgent` containers (an overflow report) are mandatory
    whatever their forecast says.
    """
    everything = list(containers) + list(urgent)
    forecasts = [forecast_fill(c, collection_time) for c in everything]
    for i in range(len(containers), len(everything)):
        forecasts[i] = replace(forecasts[i], level=max(forecasts[i].level, settings.threshold))
    problem, which = waste_problem(
        everything, forecasts, trucks, disposal_nodes, duration, settings
    )
    stop_of = {everything[c].id: s for s, c in enumerate(which)}
    result = replan(
        problem,
        tuple(tuple(stop_of[c] for c in route if c in stop_of) for route in previous),
        tuple(progress),
        frozenset(stop_of[c] for c in cancelled if c in stop_of),
        change_penalty,
        settings.time_limit,
        settings.seed,
    )
    plan = describe_waste(
        result.problem,
        result.solution,
        [which[i] for i in result.keep],
        everything,
        forecasts,
        trucks,
        distance,
        settings,
    )
    # Done and cancelled containers are neither skipped nor missed.
    settled = set(cancelled) | {everything[which[s]].id for d in result.done for s in d if s >= 0}
    plan = replace(
        plan,
        skipped=tuple(f for f in plan.skipped if f.container_id not in settled),
        missed_mandatory=tuple(f for f in plan.missed_mandatory if f.container_id not in settled),
    )
    return plan, tuple(everything[which[s]].id for s in result.changed)
