"""The independent feasibility checker catches what a wrong plan would do to a driver."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.routing.rounds import Problem, Stop, Vehicle, check

pytestmark = pytest.mark.unit


@pytest.fixture
def line() -> Problem:
    """Depot at 0 and three houses on a line, 100 s apart; capacity 5."""
    pos = np.array([0, 100, 200, 300])
    m = np.abs(pos[:, None] - pos[None, :]).astype(np.int64)
    stops = (
        Stop(1, demand=2, tw_early=0, tw_late=150),
        Stop(2, demand=2, tw_early=0, tw_late=1000),
        Stop(3, demand=2, tw_early=500, tw_late=1000),
    )
    return Problem(m, m, stops, (Vehicle(0, 0, 5, 0, 2000), Vehicle(0, 0, 5, 0, 2000)))


def test_a_good_plan_passes_and_costs_what_it_drives(line) -> None:
    verdict = check(line, ((0, 1), (2,)))
    assert verdict.feasible, verdict.violations
    assert verdict.objective == 400 + 600
    # The second vehicle leaves at its shift start and waits for the window to open.
    assert verdict.schedules[1].departure == 0 and verdict.schedules[1].begins == (500,)


def test_under_a_chain_limit_vehicles_leave_as_late_as_windows_allow(line) -> None:
    chained = replace(line, max_ride=2000)
    verdict = check(chained, ((0, 1), (2,)))
    assert verdict.schedules[1].departure == 700 and verdict.schedules[1].begins == (1000,)


def test_capacity_window_duplicates_and_missing_stops_are_caught(line) -> None:
    assert any("capacity" in v for v in check(line, ((0, 1, 2), ())).violations)
    assert any("window" in v for v in check(line, ((1, 0), (2,))).violations)
    assert any("2 times" in v for v in check(line, ((0, 1), (1, 2))).violations)
    assert any("not served" in v for v in check(line, ((0,), (2,))).violations)


def test_chain_limit_is_checked_from_the_departure() -> None:
    m = np.array([[0, 100], [100, 0]], dtype=np.int64)
    problem = Problem(m, m, (Stop(1),), (Vehicle(0, 0, 1, ride_elapsed=950),), max_ride=1000)
    assert not check(problem, ((0,),)).feasible  # 950 s already on board + 100 s of driving
