"""An independent check of a plan: every engine's answer goes through here before we trust it.

It replays each route against the problem (capacity with reloads, time windows with waiting, shift
end, the cold/hot chain limit, every required stop served exactly once) and recomputes the
objective. It shares no code with the engines on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem, Vehicle, is_reload, reload_site

START = -1  # the predecessor of the first stop of a route: the vehicle's start


@dataclass(frozen=True)
class RouteSchedule:
    """When a vehicle leaves, starts service at each visit, and arrives at its end."""

    departure: int
    begins: tuple[int, ...]
    arrival: int
    loads: tuple[int, ...]  # load on board after each visit


@dataclass(frozen=True)
class Check:
    feasible: bool
    violations: tuple[str, ...]
    objective: int
    schedules: tuple[RouteSchedule | None, ...]
    unserved: tuple[int, ...]


def _location(problem: Problem, visit: int) -> int:
    if is_reload(visit):
        return problem.reload_locations[reload_site(visit)]
    return problem.stops[visit].location


def _service(problem: Problem, visit: int) -> int:
    return problem.reload_service if is_reload(visit) else problem.stops[visit].service


def _replay(
    problem: Problem, vehicle: Vehicle, route: tuple[int, ...], departure: int
) -> tuple[list[int], int, list[str]]:
    """Service start times from a given departure (waiting when early), and what breaks."""
    problems: list[str] = []
    begins: list[int] = []
    t, here = departure, vehicle.start
    for visit in route:
        there = _location(problem, visit)
        begin = t + int(problem.duration[here, there])
        if not is_reload(visit):
            stop = problem.stops[visit]
            begin = max(begin, stop.tw_early)
            if begin > stop.tw_late:
                problems.append(
                    f"stop {visit} served at {begin}, after its window ends {stop.tw_late}"
                )
        begins.append(begin)
        t, here = begin + _service(problem, visit), there
    arrival = t + int(problem.duration[here, vehicle.end])
    if arrival > vehicle.shift_end:
        problems.append(f"back at {arrival}, after the shift ends {vehicle.shift_end}")
    return begins, arrival, problems


def schedule_route(problem: Problem, vehicle: Vehicle, route: tuple[int, ...]) -> RouteSchedule:
    """The schedule of a route: arrivals as early as possible after the departure.

    Under a chain limit the vehicle leaves as late as the windows allow (the shortest time loads
    spend on board); lateness only grows with the departure time, so that departure is found by
    bisection. Otherwise, or when it is already on the road, it leaves at its shift start.
    """
    lo, hi = vehicle.shift_start, vehicle.shift_start
    latest = problem.max_ride is not None and not vehicle.fixed_departure
    if latest and not _replay(problem, vehicle, route, lo)[2]:
        hi = vehicle.shift_end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _replay(problem, vehicle, route, mid)[2]:
                hi = mid - 1
            else:
                lo = mid
    begins, arrival, _ = _replay(problem, vehicle, route, lo)
    loads, load = [], vehicle.initial_load
    for visit in route:
        load = 0 if is_reload(visit) else load + problem.stops[visit].demand
        loads.append(load)
    return RouteSchedule(lo, tuple(begins), arrival, tuple(loads))


def _known(problem: Problem, visit: int) -> bool:
    if is_reload(visit):
        return reload_site(visit) < len(problem.reload_locations)
    return visit < len(problem.stops)


def previous_relation(problem: Problem) -> dict[int, tuple[int, int]]:
    """stop -> (vehicle, predecessor) in the previous plan, reloads skipped."""
    relation: dict[int, tuple[int, int]] = {}
    for v, route in enumerate(problem.previous_routes or ()):
        pred = START
        for visit in route:
            if not is_reload(visit):
                relation[visit] = (v, pred)
                pred = visit
    return relation


def change_penalty_of(
    relation: dict[int, tuple[int, int]], penalty: int, vehicle: int, pred: int, stop: int
) -> int:
    """The stability penalty of reaching `stop` from `pred` (a stop, START, or a reload < -1)."""
    if stop not in relation or (pred != START and pred not in relation):
        return 0  # new stops and arcs out of a reload are free: they have no "before" to keep
    return 0 if relation[stop] == (vehicle, pred) else penalty


def changed_stops(problem: Problem, routes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    """Previously planned stops whose predecessor or vehicle changed (what the penalty counted)."""
    relation, out = previous_relation(problem), []
    for v, route in enumerate(routes):
        pred = START
        for visit in route:
            if is_reload(visit):
                pred = -2
                continue
            if change_penalty_of(relation, 1, v, pred, visit):
                out.append(visit)
            pred = visit
    return tuple(sorted(out))


def check(problem: Problem, routes: tuple[tuple[int, ...], ...]) -> Check:
    """Replay `routes` (one per vehicle) and say whether they form a feasible plan, at what cost."""
    violations: list[str] = []
    if len(routes) != len(problem.vehicles):
        violations.append(f"{len(routes)} routes for {len(problem.vehicles)} vehicles")
    seen: dict[int, int] = {}
    relation = previous_relation(problem)
    schedules: list[RouteSchedule | None] = []
    objective = 0
    for v, (vehicle, route) in enumerate(zip(problem.vehicles, routes, strict=False)):
        bad = [x for x in route if not _known(problem, x)]
        if bad:
            violations.append(f"vehicle {v} visits unknown stops {bad}")
            schedules.append(None)
            continue
        for visit in route:
            if not is_reload(visit):
                seen[visit] = seen.get(visit, 0) + 1
        if not route:
            schedules.append(None)
            continue
        sched = schedule_route(problem, vehicle, route)
        schedules.append(sched)
        _, _, late = _replay(problem, vehicle, route, sched.departure)
        violations += [f"vehicle {v}: {text}" for text in late]
        if max((*sched.loads, vehicle.initial_load)) > vehicle.capacity:
            violations.append(
                f"vehicle {v}: load {max(sched.loads)} over capacity {vehicle.capacity}"
            )
        if problem.unload_at_end and sched.loads[-1] > 0:
            violations.append(f"vehicle {v}: ends with {sched.loads[-1]} on board")
        if problem.max_ride is not None:
            for visit, begin in zip(route, sched.begins, strict=True):
                ride = begin - sched.departure + vehicle.ride_elapsed
                if not is_reload(visit) and ride > problem.max_ride:
                    violations.append(f"vehicle {v}: stop {visit} reached {ride} s after departure")
        # Objective: the arcs driven, the vehicle's fixed cost, and the soft penalties.
        here, pred = vehicle.start, START
        for visit in route:
            there = _location(problem, visit)
            objective += int(problem.cost[here, there])
            if not is_reload(visit):
                stop = problem.stops[visit]
                if stop.preferred_vehicle is not None and stop.preferred_vehicle != v:
                    objective += problem.preference_penalty
                objective += change_penalty_of(relation, problem.change_penalty, v, pred, visit)
            here, pred = there, (visit if not is_reload(visit) else -2)
        objective += int(problem.cost[here, vehicle.end]) + vehicle.fixed_cost
    for stop_index, count in seen.items():
        if count > 1:
            violations.append(f"stop {stop_index} served {count} times")
    unserved = tuple(i for i in range(len(problem.stops)) if i not in seen)
    for i in unserved:
        if problem.stops[i].required:
            violations.append(f"required stop {i} is not served")
        else:
            objective += problem.stops[i].prize
    return Check(not violations, tuple(violations), objective, tuple(schedules), unserved)
