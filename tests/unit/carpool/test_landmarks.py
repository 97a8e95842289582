"""Landmark lower bounds rule rides out exactly: never one that insertion would accept."""

from __future__ import annotations

import numpy as np
import pytest

from services.carpool.matching.landmarks import AskTimes, RideEnds, choose, end_columns, feasible

pytestmark = pytest.mark.unit

# A road A–B–C–D–E, 10 min between neighbours, both ways; the landmark is A.
POS = {"A": 0, "B": 10, "C": 20, "D": 30, "E": 40}
NAMES = list(POS)


def travel(a: int, b: int) -> float:
    return abs(POS[NAMES[a]] - POS[NAMES[b]]) * 60.0


def ride_ends(origin: str, destination: str) -> RideEnds:
    o, d = NAMES.index(origin), NAMES.index(destination)
    cols = np.array([end_columns(travel, o, d, [0])], dtype=np.float64)
    return RideEnds(cols[:, 0:1], cols[:, 1:2], cols[:, 2:3], cols[:, 3:4])


def ask(pickup: str, dropoff: str, pickup_latest: float = np.inf) -> AskTimes:
    p, q = NAMES.index(pickup), NAMES.index(dropoff)
    return AskTimes(
        l_to_p=np.array([[travel(0, p)]]), p_to_l=np.array([[travel(p, 0)]]),
        l_to_q=np.array([[travel(0, q)]]), q_to_l=np.array([[travel(q, 0)]]),
        p_to_q=np.array([[travel(p, q)]]), pickup_latest=np.array([pickup_latest]),
        dropoff_latest=np.array([np.inf]),
    )  # fmt: skip


def test_a_passenger_on_the_way_is_kept_and_one_behind_the_driver_is_dropped() -> None:
    budget = np.array([20 * 60.0 + 5 * 60])  # C → E is 20 min; 5 min of detour
    start = np.array([8 * 3600.0])
    assert feasible(ride_ends("C", "E"), ask("D", "E"), start, budget).tolist() == [True]
    # Going back to A first costs 40 min more: the bound alone proves it.
    assert feasible(ride_ends("C", "E"), ask("A", "E"), start, budget).tolist() == [False]


def test_a_pickup_the_driver_cannot_reach_in_time_is_dropped() -> None:
    budget = np.array([3600.0])
    start = np.array([8 * 3600.0])
    late = ask("D", "E", pickup_latest=8 * 3600.0 + 5 * 60)  # D is 10 min from C
    assert feasible(ride_ends("C", "E"), late, start, budget).tolist() == [False]


def test_unknown_times_never_rule_a_ride_out() -> None:
    ends = RideEnds(*(np.full((1, 1), np.nan) for _ in range(4)))
    kept = feasible(ends, ask("D", "E"), np.array([0.0]), np.array([3600.0]))
    assert kept.tolist() == [True]
    # Only the passenger's own leg is known; 40 min of it cannot fit a 1 min budget.
    assert feasible(ends, ask("A", "E"), np.array([0.0]), np.array([60.0])).tolist() == [False]


def test_landmarks_are_spread() -> None:
    points = [(51.0 + i * 0.001, 4.0) for i in range(100)]
    chosen = choose(points, 3)
    assert chosen[0] == points[0] and points[-1] in chosen and len(chosen) == 3
