"""Waste-collection rounds driven by container fill forecasts, with trips to a disposal site.

The fill-rate model (`forecast_fill`), chosen to be explainable to a dispatcher:
1. The last emptying is the latest reading more than `EMPTYING_DROP` (30 points) below the median
   of the (up to) three readings before it in the current cycle, unless the next reading is back
   up (a sensor glitch); the median keeps one spike from looking like an emptying. Only readings
   since then count.
2. The fill rate is the Theil–Sen slope of level against time over those readings: the median of
   the slopes between every pair, so one bad sensor reading cannot swing it. It is clipped to
   [0, MAX_RATE_PER_DAY]: bins do not empty themselves, and a slope above 100 %/day is noise.
3. The forecast is the robust line (median intercept) taken to the collection time, clipped to
   [0, 1]. With a single reading since emptying, the rate is 0 and the forecast is that reading.

Containers forecast at or above `threshold` (default 80 %) must be collected; those at or above
`optional_from` are optional, with a prize growing linearly from 0 at `optional_from` to
`max_prize` at the threshold (the avoided overflow risk, in seconds of driving it is worth); the
rest are skipped. Trucks unload at a disposal site when full and go on, and end the day empty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from statistics import median

import numpy as np

from .checker import check
from .problem import IntMatrix, Problem, Solution, Stop, Vehicle, is_reload, reload_site
from .solver import Progress, solve

EMPTYING_DROP = 0.30
MAX_RATE_PER_DAY = 1.0
DAY = 86400


@dataclass(frozen=True)
class Reading:
    at: int  # seconds (any epoch, the same for every reading and the collection time)
    level: float  # fill fraction, 0..1


@dataclass(frozen=True)
class Container:
    id: str
    node: int
    volume_litres: float
    readings: tuple[Reading, ...]
    density_kg_per_litre: float = 0.12  # loose household waste; per stream in practice
    service: int = 90  # seconds to lift and empty it


@dataclass(frozen=True)
class Truck:
    id: str
    capacity: float  # in `WasteSettings.unit`
    shift: tuple[int, int]
    depot_node: int = 0


@dataclass(frozen=True)
class WasteSettings:
    threshold: float = 0.80
    optional_from: float = 0.50
    max_prize: int = 900  # seconds of driving an optional container at the threshold is worth
    unit: str = "kg"  # or "litres": the unit of truck capacities
    unload_seconds: int = 1200
    unserved_penalty: int = 1_000_000  # a mandatory container left out
    time_limit: float = 5.0
    seed: int = 0


@dataclass(frozen=True)
class Forecast:
    container_id: str
    level: float  # forecast fill fraction at collection time
    rate_per_day: float
    since: int  # time of the first reading used (the last emptying)
    readings_used: int


def forecast_fill(container: Container, at: int) -> Forecast:
    """Forecast a container's fill at time `at` from its readings (model in the module doc)."""
    readings = sorted(container.readings, key=lambda r: r.at)
    if not readings:
        return Forecast(container.id, 0.0, 0.0, at, 0)
    start = 0
    for i in range(1, len(readings)):
        before = median(r.level for r in readings[max(start, i - 3) : i])
        after_ok = i + 1 >= len(readings) or readings[i + 1].level < before - EMPTYING_DROP
        if before - readings[i].level > EMPTYING_DROP and after_ok:
            start = i
    cycle = readings[start:]
    slopes = [(b.level - a.level) / (b.at - a.at) for a, b in combinations(cycle, 2) if b.at > a.at]
    rate = min(max(median(slopes), 0.0), MAX_RATE_PER_DAY / DAY) if slopes else 0.0
    intercept = median(r.level - rate * r.at for r in cycle)
    level = min(max(intercept + rate * at, 0.0), 1.0)
    return Forecast(container.id, round(level, 4), round(rate * DAY, 4), cycle[0].at, len(cycle))


@dataclass(frozen=True)
class Collected:
    container_id: str
    node: int
    arrival: int
    load_after: float


@dataclass(frozen=True)
class Trip:
    collections: tuple[Collected, ...]
    disposal_node: int
    unload_start: int
    load: float


@dataclass(frozen=True)
class TruckRound:
    truck_id: str
    departure: int
    return_time: int
    trips: tuple[Trip, ...]
    km: float
    driving_minutes: float
    working_minutes: float


@dataclass(frozen=True)
class WastePlan:
    rounds: tuple[TruckRound, ...]
    skipped: tuple[Forecast, ...]  # below `optional_from`, or optional and not worth the detour
    missed_mandatory: tuple[Forecast, ...]  # over the threshold but no truck could take them
    forecasts: tuple[Forecast, ...]
    feasible: bool
    engine: str
    seconds: float
    reason: str = ""


def _load(container: Container, level: float, unit: str) -> int:
    litres = level * container.volume_litres
    return math.ceil(litres if unit == "litres" else litres * container.density_kg_per_litre)


def waste_problem(
    containers: list[Container],
    forecasts: list[Forecast],
    trucks: list[Truck],
    disposal_nodes: list[int],
    duration: IntMatrix,
    settings: WasteSettings,
) -> tuple[Problem, list[int]]:
    """The routing problem, and for each of its stops the index of the container."""
    stops, which = [], []
    for i, (c, f) in enumerate(zip(containers, forecasts, strict=True)):
        if f.level < settings.optional_from:
            continue
        mandatory = f.level >= settings.threshold
        share = (f.level - settings.optional_from) / (settings.threshold - settings.optional_from)
        stops.append(
            Stop(
                location=c.node,
                demand=_load(c, f.level, settings.unit),
                service=c.service,
                required=False,  # even mandatory ones: a plan is returned, with what was missed
                prize=settings.unserved_penalty if mandatory else round(settings.max_prize * share),
            )
        )
        which.append(i)
    total = sum(s.demand for s in stops)
    smallest = min(math.floor(t.capacity) for t in trucks)
    # Enough unloading visits for every trip the day could need, plus one final one per truck.
    copies = math.ceil(total / max(smallest, 1)) + len(trucks)
    problem = Problem(
        np.asarray(duration, dtype=np.int64),
        np.asarray(duration, dtype=np.int64),
        tuple(stops),
        tuple(
            Vehicle(t.depot_node, t.depot_node, math.floor(t.capacity), t.shift[0], t.shift[1])
            for t in trucks
        ),
        reload_locations=tuple(disposal_nodes),
        reload_service=settings.unload_seconds,
        reloads_per_site=copies,
        unload_at_end=True,
    )
    return problem, which


def plan_waste_round(
    containers: list[Container],
    trucks: list[Truck],
    disposal_nodes: list[int],
    collection_time: int,
    duration: IntMatrix,
    distance: IntMatrix,
    settings: WasteSettings = WasteSettings(),
    progress: Progress | None = None,
) -> WastePlan:
    """Forecast every container at `collection_time`, then plan the trucks' trips."""
    forecasts = [forecast_fill(c, collection_time) for c in containers]
    problem, which = waste_problem(
        containers, forecasts, trucks, disposal_nodes, duration, settings
    )
    solution = solve(problem, settings.time_limit, settings.seed, progress)
    return describe_waste(
        problem, solution, which, containers, forecasts, trucks, distance, settings
    )


def describe_waste(
    problem: Problem,
    solution: Solution,
    which: list[int],
    containers: list[Container],
    forecasts: list[Forecast],
    trucks: list[Truck],
    distance: IntMatrix,
    settings: WasteSettings,
) -> WastePlan:
    if not solution.feasible:
        return WastePlan(
            (), (), (), tuple(forecasts), False, solution.engine, solution.seconds, solution.reason
        )
    verdict = check(problem, solution.routes)
    distance = np.asarray(distance, dtype=np.int64)
    rounds = []
    for v, (vehicle, route) in enumerate(zip(problem.vehicles, solution.routes, strict=True)):
        sched = verdict.schedules[v]
        if sched is None:
            continue
        trips: list[Trip] = []
        current: list[Collected] = []
        here, t, metres, driving, load = vehicle.start, sched.departure, 0, 0, 0
        for visit, begin, after in zip(route, sched.begins, sched.loads, strict=True):
            there = (
                problem.reload_locations[reload_site(visit)]
                if is_reload(visit)
                else problem.stops[visit].location
            )
            travel = int(problem.duration[here, there])
            metres += int(distance[here, there])
            driving += travel
            if is_reload(visit):
                if current:  # back-to-back unloadings are one trip
                    trips.append(Trip(tuple(current), there, begin, float(load)))
                current = []
                t = begin + problem.reload_service
            else:
                c = containers[which[visit]]
                current.append(Collected(c.id, there, t + travel, float(after)))
                t = begin + problem.stops[visit].service
            here, load = there, after
        metres += int(distance[here, vehicle.end])
        driving += int(problem.duration[here, vehicle.end])
        rounds.append(
            TruckRound(
                trucks[v].id,
                sched.departure,
                sched.arrival,
                tuple(trips),
                round(metres / 1000, 2),
                round(driving / 60, 1),
                round((sched.arrival - sched.departure) / 60, 1),
            )
        )
    served = {which[s] for r in solution.routes for s in r if s >= 0}
    skipped = tuple(
        f for i, f in enumerate(forecasts) if i not in served and f.level < settings.threshold
    )
    missed = tuple(
        f for i, f in enumerate(forecasts) if i not in served and f.level >= settings.threshold
    )
    return WastePlan(
        tuple(rounds),
        skipped,
        missed,
        tuple(forecasts),
        True,
        solution.engine,
        solution.seconds,
    )
