"""`solve`: progress, an honest answer when no plan exists, running in a spawn pool, two
searches on a real instance, and the epochs they trade their best at."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from services.routing.rounds import Problem, Stop, Vehicle, check, read_instance, solve
from services.routing.rounds.pairing import epoch_ends

pytestmark = pytest.mark.unit


def square(required_window: tuple[int, int] = (0, 10_000)) -> Problem:
    """Depot and four stops on a 100 s square; two vehicles of capacity 2."""
    xy = np.array([[0, 0], [100, 0], [100, 100], [0, 100], [50, 50]])
    m = np.rint(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))).astype(np.int64)
    stops = tuple(Stop(i, demand=1, tw_early=0, tw_late=10_000) for i in range(1, 4))
    stops += (Stop(4, demand=1, tw_early=required_window[0], tw_late=required_window[1]),)
    return Problem(m, m, stops, (Vehicle(0, 0, 2, 0, 10_000), Vehicle(0, 0, 2, 0, 10_000)))


def test_progress_reports_improving_costs_and_the_plan_is_feasible() -> None:
    seen: list[tuple[int, float, str]] = []
    solution = solve(square(), 1.0, progress=lambda c, t, e: seen.append((c, t, e)))
    assert solution.feasible and check(square(), solution.routes).feasible
    costs = [c for c, _, _ in seen]
    assert costs and costs == sorted(costs, reverse=True)
    assert costs[-1] == solution.objective


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyVRP warns it found no feasible plan
def test_no_plan_comes_with_a_reason() -> None:
    # The centre stop must be served before anyone can reach it.
    solution = solve(square(required_window=(0, 10)), 1.0)
    assert not solution.feasible and not solution.routes
    assert solution.reason


def test_solve_runs_in_a_spawn_pool_worker_as_the_service_calls_it() -> None:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        solution = pool.submit(solve, square(), 1.0, 3).result(timeout=60)
    assert solution.feasible and check(square(), solution.routes).feasible


def test_a_solomon_instance_gets_a_plan_serving_every_customer_once(shared_data) -> None:
    # Long enough for epochs and exchanges between the two searches (README: solver).
    instance = read_instance(shared_data / "vrp" / "R105.vrp")
    problem = instance.problem
    solution = solve(problem, 6.0, seed=2)
    verdict = check(problem, solution.routes)
    assert solution.feasible and verdict.feasible and solution.objective == verdict.objective
    served = sorted(stop for route in solution.routes for stop in route)
    assert served == list(range(len(problem.stops)))
    assert len(solution.routes) == len(problem.vehicles)
    assert solution.seconds < 6.0 + 1.0  # the budget holds, with the checker's slack


def test_solve_called_beside_another_thread_still_uses_a_partner_and_finds_the_plan() -> None:
    # A threaded caller cannot fork safely: the partner is spawned instead.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        solution = solve(square(), 3.0, seed=5)
    finally:
        stop.set()
        other.join()
    assert solution.feasible and check(square(), solution.routes).feasible


@pytest.mark.parametrize("budget", [0.5, 3.0, 9.85, 59.85])
def test_epochs_end_in_order_at_the_deadline_two_to_five_of_them(budget: float) -> None:
    ends = epoch_ends(1000.0, 1000.0 + budget)
    assert 2 <= len(ends) <= 5
    assert list(ends) == sorted(ends) and ends[0] > 1000.0
    assert ends[-1] == pytest.approx(1000.0 + budget)
