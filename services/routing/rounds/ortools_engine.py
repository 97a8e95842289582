"""The OR-Tools routing model of a `Problem`, and its time-limited search.

Node layout: the vehicles' distinct start/end locations first, then one node per stop, then
`reloads_per_site` optional copies of each reload site. Every matrix handed to OR-Tools is
registered with `RegisterTransitMatrix`, so no Python callback runs during the search.

Call this from a worker process, never from a nameko worker: the search holds the GIL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .checker import START, change_penalty_of, check, previous_relation
from .problem import HORIZON, Problem, Solution, reload_visit

Progress = Callable[[int, float, str], None]  # (best objective so far, elapsed seconds, engine)


@dataclass(frozen=True)
class SearchConfig:
    """What OR-Tools searches with. See README.md for the measurements behind `TUNED`."""

    first_solution: str = "PATH_CHEAPEST_ARC"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    iterated_local_search: bool = False
    automatic_temperatures: bool = False


# The baseline: default parameters but the time limit.
PLAIN = SearchConfig("PATH_CHEAPEST_ARC", "GUIDED_LOCAL_SEARCH")
# Chosen from measurements (README.md).
TUNED = SearchConfig("SAVINGS", "GUIDED_LOCAL_SEARCH")
# When the chosen first-solution strategy fails outright, in this order. Insertion heuristics
# start from empty routes, so they fail when an empty route is itself infeasible (a truck carrying
# a load that must end the day empty); PATH_CHEAPEST_ARC extends routes and copes.
FALLBACKS = ("PARALLEL_CHEAPEST_INSERTION", "PATH_CHEAPEST_ARC")


@dataclass
class _Layout:
    location: list[int]  # node -> location
    service: list[int]
    visit: list[int | None]  # node -> stop index / reload visit; None for vehicle terminals
    starts: list[int]
    ends: list[int]


def _layout(problem: Problem) -> _Layout:
    terminals: dict[int, int] = {}
    for v in problem.vehicles:
        for loc in (v.start, v.end):
            terminals.setdefault(loc, len(terminals))
    location, service = list(terminals), [0] * len(terminals)
    visit: list[int | None] = [None] * len(terminals)
    for i, stop in enumerate(problem.stops):
        location.append(stop.location)
        service.append(stop.service)
        visit.append(i)
    for site, loc in enumerate(problem.reload_locations):
        for _ in range(problem.reloads_per_site):
            location.append(loc)
            service.append(problem.reload_service)
            visit.append(reload_visit(site))
    return _Layout(
        location,
        service,
        visit,
        [terminals[v.start] for v in problem.vehicles],
        [terminals[v.end] for v in problem.vehicles],
    )


def _cost_matrices(problem: Problem, lay: _Layout) -> list[np.ndarray]:
    """One arc-cost matrix per vehicle when soft penalties differ by vehicle, else just one."""
    loc = np.asarray(lay.location)
    base = problem.cost[np.ix_(loc, loc)].astype(np.int64)
    relation = previous_relation(problem)
    if not problem.preference_penalty and not relation:
        return [base]
    out = []
    for v in range(len(problem.vehicles)):
        m = base.copy()
        for j, visit in enumerate(lay.visit):
            if visit is None or visit < 0:
                continue
            pref = problem.stops[visit].preferred_vehicle
            if pref is not None and pref != v:
                m[:, j] += problem.preference_penalty
            if visit in relation:
                for i, pred in enumerate(lay.visit):
                    if pred is None:
                        pred_key = START if i == lay.starts[v] else None
                    else:
                        pred_key = pred if pred >= 0 else None
                    if pred_key is not None:
                        m[i, j] += change_penalty_of(
                            relation, problem.change_penalty, v, pred_key, visit
                        )
        out.append(m)
    return out


def _params(config: SearchConfig, seconds: float) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, config.first_solution
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, config.metaheuristic
    )
    if config.iterated_local_search:
        # Ruin-and-recreate ILS; the ruin is SISR (string removals) with the sizes its paper
        # recommends (strings of at most 10 visits, about 10 removed, bypass factor 0.01).
        params.use_iterated_local_search = True
        ils = params.iterated_local_search_parameters
        sisr = ils.ruin_recreate_parameters.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = 10
        sisr.avg_num_removed_visits = 10
        sisr.bypass_factor = 0.01
        if config.automatic_temperatures:
            sa = ils.reference_solution_acceptance_strategy.simulated_annealing
            sa.automatic_temperatures = True
    params.time_limit.FromMilliseconds(max(100, int(seconds * 1000)))
    return params


def solve_ortools(
    problem: Problem,
    seconds: float,
    config: SearchConfig = TUNED,
    progress: Progress | None = None,
    initial_routes: tuple[tuple[int, ...], ...] | None = None,
) -> Solution:
    """Search for `seconds`; return the best plan found, checked by `checker.check`.

    OR-Tools' search is deterministic for given parameters (it has no seed); only the time limit
    makes two runs differ. `initial_routes` (stop indices per vehicle) seeds the search when
    OR-Tools accepts them as a solution.
    """
    began = time.monotonic()
    lay = _layout(problem)
    manager = pywrapcp.RoutingIndexManager(
        len(lay.location), len(problem.vehicles), lay.starts, lay.ends
    )
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    loc = np.asarray(lay.location)
    costs = _cost_matrices(problem, lay)
    if len(costs) == 1:
        routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(costs[0].tolist()))
    else:
        for v, m in enumerate(costs):
            routing.SetArcCostEvaluatorOfVehicle(routing.RegisterTransitMatrix(m.tolist()), v)
    for v, vehicle in enumerate(problem.vehicles):
        if vehicle.fixed_cost:
            routing.SetFixedCostOfVehicle(vehicle.fixed_cost, v)

    # Time: a node's cumul is when its service starts; the slack is waiting.
    transit = np.asarray(lay.service)[:, None] + problem.duration[np.ix_(loc, loc)]
    time_cb = routing.RegisterTransitMatrix(transit.astype(np.int64).tolist())
    routing.AddDimension(time_cb, HORIZON, HORIZON, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for node, visit in enumerate(lay.visit):
        if visit is not None and visit >= 0:
            stop = problem.stops[visit]
            time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(stop.tw_early, stop.tw_late)
    for v, vehicle in enumerate(problem.vehicles):
        start, end = time_dim.CumulVar(routing.Start(v)), time_dim.CumulVar(routing.End(v))
        latest = vehicle.shift_start if vehicle.fixed_departure else vehicle.shift_end
        start.SetRange(vehicle.shift_start, latest)
        end.SetRange(vehicle.shift_start, vehicle.shift_end)
        routing.AddVariableMaximizedByFinalizer(start)  # leave late: less time on board
        routing.AddVariableMinimizedByFinalizer(end)

    if problem.max_ride is not None:
        # The chain dimension has the same transits and, by constraint, the same slacks as
        # time, so its cumul is exactly "time since this vehicle left" (plus what had already
        # elapsed when re-planning); bounding it at each stop is the cold/hot chain limit.
        routing.AddDimension(time_cb, HORIZON, HORIZON, False, "ride")
        ride = routing.GetDimensionOrDie("ride")
        for index in range(routing.Size()):
            if not routing.IsEnd(index):
                solver.Add(ride.SlackVar(index) == time_dim.SlackVar(index))
        for v, vehicle in enumerate(problem.vehicles):
            ride.CumulVar(routing.Start(v)).SetValue(vehicle.ride_elapsed)
        for node, visit in enumerate(lay.visit):
            if visit is not None and visit >= 0:
                ride.CumulVar(manager.NodeToIndex(node)).SetMax(problem.max_ride)

    # Load: a reload has a demand of minus the largest capacity, and only reloads may have
    # slack, so the load after a reload can drop to zero and no lower.
    biggest = max(v.capacity for v in problem.vehicles)
    demand = [
        0 if visit is None else (-biggest if visit < 0 else problem.stops[visit].demand)
        for visit in lay.visit
    ]
    load_cb = routing.RegisterUnaryTransitVector(demand)
    slack = biggest if problem.reload_locations else 0
    routing.AddDimensionWithVehicleCapacity(
        load_cb, slack, [v.capacity for v in problem.vehicles], False, "load"
    )
    load = routing.GetDimensionOrDie("load")
    for v, vehicle in enumerate(problem.vehicles):
        load.CumulVar(routing.Start(v)).SetValue(vehicle.initial_load)
        if problem.unload_at_end:
            load.CumulVar(routing.End(v)).SetValue(0)
    if slack:
        for index in range(routing.Size()):
            node = manager.IndexToNode(index)
            if routing.IsStart(index) or lay.visit[node] is None or lay.visit[node] >= 0:
                load.SlackVar(index).SetValue(0)

    for node, visit in enumerate(lay.visit):
        if visit is None:
            continue
        index = manager.NodeToIndex(node)
        if visit < 0:
            routing.AddDisjunction([index], 0)
        elif not problem.stops[visit].required:
            routing.AddDisjunction([index], problem.stops[visit].prize)

    best = [None]

    def on_solution() -> None:
        value = routing.CostVar().Value()
        if best[0] is None or value < best[0]:
            best[0] = value
            if progress is not None:
                progress(int(value), time.monotonic() - began, "ortools")

    routing.AddAtSolutionCallback(on_solution)
    params = _params(config, seconds - (time.monotonic() - began))
    assignment = None
    if initial_routes is not None:
        node_of_stop = {visit: node for node, visit in enumerate(lay.visit) if visit is not None}
        seeded = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(node_of_stop[s]) for s in r if s >= 0] for r in initial_routes],
            True,
        )
        if seeded is not None:
            assignment = routing.SolveFromAssignmentWithParameters(seeded, params)
    if assignment is None:
        assignment = routing.SolveWithParameters(params)
    elapsed = time.monotonic() - began
    if assignment is None:
        codes = routing_enums_pb2.RoutingSearchStatus
        later = (
            FALLBACKS[FALLBACKS.index(config.first_solution) + 1 :]
            if (config.first_solution in FALLBACKS)
            else FALLBACKS
        )
        if routing.status() == codes.ROUTING_FAIL and later and seconds - elapsed > 0.1:
            # SAVINGS gives up at once on some models (vehicles starting away from their end,
            # as in a re-plan): build again with the next strategy.
            return solve_ortools(
                problem,
                seconds - elapsed,
                SearchConfig(later[0], config.metaheuristic, config.iterated_local_search),
                progress,
                initial_routes,
            )
        return Solution((), 0, False, "ortools", elapsed, reason=_why_none(routing.status()))
    routes = []
    for v in range(len(problem.vehicles)):
        route, index = [], assignment.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            visit = lay.visit[manager.IndexToNode(index)]
            assert visit is not None
            route.append(visit)
            index = assignment.Value(routing.NextVar(index))
        routes.append(_drop_idle_reloads(route, problem.vehicles[v].initial_load))
    verdict = check(problem, tuple(routes))
    return Solution(
        tuple(routes),
        verdict.objective,
        verdict.feasible,
        "ortools",
        elapsed,
        verdict.violations,
        unserved=verdict.unserved,
    )


def _drop_idle_reloads(route: list[int], initial_load: int) -> tuple[int, ...]:
    """Remove reloads made with nothing on board (free in the model, 20 minutes on the road).

    Reload copies cost nothing to visit, which keeps inserting a container into a full truck a
    one-node move for the search; the idle ones it leaves behind are dropped here. Dropping a
    visit only makes later arrivals earlier (travel times obey the triangle inequality).
    """
    kept: list[int] = []
    loaded = initial_load > 0
    for visit in route:
        if visit < 0:
            if not loaded:
                continue
            loaded = False
        else:
            loaded = True
        kept.append(visit)
    return tuple(kept)


def _why_none(status: int) -> str:
    codes = routing_enums_pb2.RoutingSearchStatus
    if status == codes.ROUTING_INFEASIBLE:
        return "the constraints admit no plan (OR-Tools proved the model infeasible)"
    if status == codes.ROUTING_FAIL_TIMEOUT:
        return "no plan serving every required stop was found within the time limit"
    return "no plan serving every required stop was found (the constraints may be too tight)"
