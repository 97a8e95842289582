"""PyVRP as a second engine, for the problems its model expresses exactly.

PyVRP (hybrid genetic search / iterated local search) is strong on capacity + time windows +
fleet size, with optional stops (prizes) and fixed vehicle costs. It has no notion of our cold/hot
chain limit, preferred vehicles or stability penalty, and we do not map reloads to it, so those
problems go to OR-Tools alone (`fits`). Whatever it returns is re-checked by `checker.check`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from .problem import Problem

Report = Callable[[int, float], None]  # (best cost so far, elapsed seconds)


def available() -> bool:
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


def fits(problem: Problem) -> bool:
    """True when PyVRP's model is exactly ours for this problem."""
    return (
        problem.max_ride is None
        and not problem.reload_locations
        and not problem.unload_at_end
        and not (
            problem.preference_penalty
            and any(s.preferred_vehicle is not None for s in problem.stops)
        )
        and not (problem.previous_routes and problem.change_penalty)
        and all(v.initial_load == 0 for v in problem.vehicles)
    )


def _data(problem: Problem) -> tuple[Any, list[list[int]]]:
    """PyVRP's ProblemData, and for each of its vehicle types the indices of our vehicles."""
    import pyvrp

    n = problem.cost.shape[0]
    depot_of: dict[int, int] = {}
    for v in problem.vehicles:
        for loc in (v.start, v.end):
            depot_of.setdefault(loc, len(depot_of))
    depots = [pyvrp.Depot(location=loc) for loc in depot_of]
    clients = [
        pyvrp.Client(
            location=s.location,
            delivery=[s.demand],
            service_duration=s.service,
            tw_early=s.tw_early,
            tw_late=s.tw_late,
            prize=s.prize,
            required=s.required,
        )
        for s in problem.stops
    ]
    # Identical vehicles form one type; our vehicle order is kept within a type.
    types: dict[tuple[int, ...], list[int]] = {}
    for i, v in enumerate(problem.vehicles):
        key = (
            v.start,
            v.end,
            v.capacity,
            v.shift_start,
            v.shift_end,
            v.fixed_cost,
            v.fixed_departure,
        )
        types.setdefault(key, []).append(i)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(members),
            capacity=[key[2]],
            start_depot=depot_of[key[0]],
            end_depot=depot_of[key[1]],
            fixed_cost=key[5],
            tw_early=key[3],
            tw_late=key[4],
            start_late=key[3] if key[6] else None,
        )
        for key, members in types.items()
    ]
    locations = [pyvrp.Location(0, 0) for _ in range(n)]  # matrices given: coordinates unused
    data = pyvrp.ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [problem.cost],  # type: ignore[list-item]
        [problem.duration],  # type: ignore[list-item]
    )
    return data, list(types.values())


class _Stop:
    """PyVRP stopping criterion: a wall-clock deadline, reporting each new best cost."""

    def __init__(self, deadline: float, report: Report | None) -> None:
        self.deadline, self.report, self.began = deadline, report, time.time()
        self.best = float("inf")

    def __call__(self, best_cost: float) -> bool:
        if best_cost < self.best:
            self.best = best_cost
            if self.report is not None and best_cost < sys.maxsize:  # PyVRP's "infeasible"
                self.report(int(best_cost), time.time() - self.began)
        return time.time() >= self.deadline


def solve_pyvrp(
    problem: Problem, deadline: float, seed: int = 0, report: Report | None = None
) -> tuple[tuple[int, ...], ...] | None:
    """Routes (stop indices per vehicle) of PyVRP's best feasible solution by `deadline`
    (a `time.time()` value), or None if it found none: one plain, uninterrupted search."""
    search = Search(problem)
    found = search.run(deadline, seed, report)
    return None if found is None else search.routes(found[1])


# A PyVRP solution in plain, picklable form, to hand it to a search in another process:
# (vehicle type, client indices) per non-empty route.
Plain = tuple[tuple[int, tuple[int, ...]], ...]


class Search:
    """PyVRP searches on one problem, each started afresh or from a given solution."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.data, self.members = _data(problem)

    def run(
        self,
        deadline: float,
        seed: int,
        report: Report | None = None,
        start: Plain | None = None,
    ) -> tuple[int, Plain] | None:
        """(cost, solution) of the best feasible solution by `deadline`, or None if none."""
        import pyvrp

        initial = None
        if start is not None:
            initial = pyvrp.Solution(
                self.data, [pyvrp.Route(self.data, list(visits), kind) for kind, visits in start]
            )
        result = pyvrp.solve(
            self.data,
            _Stop(deadline, report),
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
        )
        if not result.is_feasible():
            return None
        plain = tuple(
            (route.vehicle_type(), tuple(a.idx for a in route if a.is_client()))
            for route in result.best.routes()
        )
        return int(result.cost()), plain

    def routes(self, plain: Plain) -> tuple[tuple[int, ...], ...]:
        """Our routes (stop indices per vehicle, in our vehicle order) for a plain solution."""
        routes: list[tuple[int, ...]] = [()] * len(self.problem.vehicles)
        free = [list(m) for m in self.members]
        for kind, visits in plain:
            routes[free[kind].pop(0)] = visits
        return tuple(routes)
