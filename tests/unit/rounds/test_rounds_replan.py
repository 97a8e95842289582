"""Re-planning a meal round under way: done stops stay, the order is stable, changes are named."""

from __future__ import annotations

import numpy as np
import pytest
from rounds_fixtures import h

from services.routing.rounds import (
    Delivery,
    MealSettings,
    MealVehicle,
    Problem,
    Stop,
    Vehicle,
    VehicleProgress,
    plan_meal_round,
    replan,
    replan_meal_round,
)

pytestmark = pytest.mark.unit

FAST = MealSettings(time_limit=1.0)


def six_stop_round() -> list[Delivery]:
    return [Delivery(f"d{i}", i, (h(10), h(13))) for i in range(1, 7)]


@pytest.fixture
def under_way(village):
    """A one-van round planned this morning, its first two deliveries done."""
    duration, distance = village
    deliveries, vehicles = six_stop_round(), [MealVehicle("van-1", 10, (h(10), h(14)))]
    plan = plan_meal_round(deliveries, vehicles, duration, distance, FAST)
    (r,) = plan.rounds
    order = [s.delivery_id for s in r.stops]
    second = r.stops[1]
    progress = VehicleProgress(
        done=2, position=second.node, now=second.service_start + 120, departed_at=r.departure
    )
    return deliveries, vehicles, order, progress, duration, distance


def test_replan_with_no_change_keeps_done_stops_and_the_order(under_way) -> None:
    deliveries, vehicles, order, progress, duration, distance = under_way
    plan, changed = replan_meal_round(
        deliveries, vehicles, [order], [progress], duration, distance, settings=FAST
    )
    (r,) = plan.rounds
    assert list(r.done) == order[:2]
    assert [s.delivery_id for s in r.stops] == order[2:]
    assert changed == () and not plan.unserved
    assert r.departure == progress.now  # it goes on from where it is


def test_cancelled_stop_is_dropped_and_the_rest_keeps_its_order(under_way) -> None:
    deliveries, vehicles, order, progress, duration, distance = under_way
    plan, _ = replan_meal_round(
        deliveries,
        vehicles,
        [order],
        [progress],
        duration,
        distance,
        cancelled=[order[3]],
        settings=FAST,
    )
    (r,) = plan.rounds
    assert list(r.done) == order[:2]
    assert [s.delivery_id for s in r.stops] == [order[2], *order[4:]]


def test_added_stop_is_served_and_done_stops_never_move(under_way) -> None:
    deliveries, vehicles, order, progress, duration, distance = under_way
    late_order = Delivery("late-order", 8, (h(10), h(13.5)))
    plan, _ = replan_meal_round(
        deliveries,
        vehicles,
        [order],
        [progress],
        duration,
        distance,
        added=[late_order],
        settings=FAST,
    )
    (r,) = plan.rounds
    assert list(r.done) == order[:2]
    remaining = [s.delivery_id for s in r.stops]
    assert sorted(remaining) == sorted([*order[2:], "late-order"])
    assert [d for d in remaining if d != "late-order"] == order[2:]  # the others keep their order


def test_a_late_driver_still_respects_windows_and_the_chain(under_way) -> None:
    deliveries, vehicles, order, progress, duration, distance = under_way
    late = VehicleProgress(
        progress.done, progress.position, progress.now, progress.departed_at, delay=600
    )
    settings = MealSettings(time_limit=1.0, max_ride=2 * 3600)
    plan, _ = replan_meal_round(
        deliveries, vehicles, [order], [late], duration, distance, settings=settings
    )
    (r,) = plan.rounds
    assert r.departure == progress.now + 600
    by_id = {d.id: d for d in deliveries}
    for s in r.stops:
        early, end = by_id[s.delivery_id].window
        assert early <= s.service_start <= end
        # The meals have been on board since the van left the kitchen, not since the re-plan.
        assert s.on_board_since_departure == s.service_start - progress.departed_at
        assert s.on_board_since_departure <= settings.max_ride
    served = {s.delivery_id for s in r.stops} | set(r.done)
    assert served | {u.delivery_id for u in plan.unserved} == set(by_id)
    assert list(r.done) == order[:2]


def _road(previous_order: tuple[int, ...], xs: list[int]):
    """A straight road: the vehicle starts at 0 and ends at 1000 s; stops at `xs`."""
    pos = np.array([0, 1000, *xs])
    m = np.abs(pos[:, None] - pos[None, :]).astype(np.int64)
    stops = tuple(Stop(2 + i) for i in range(len(xs)))
    problem = Problem(m, m, stops, (Vehicle(0, 1, 10),))
    return replan(problem, (previous_order,), (VehicleProgress(0, 0, 0),), time_limit=0.5)


def test_a_small_saving_does_not_reorder_the_round() -> None:
    # Visiting 110 before 100 wastes 20 s: less than the stability penalty, so it stays.
    result = _road((0, 1), [110, 100])
    assert result.routes == ((0, 1),) and result.changed == ()


def test_a_large_saving_reorders_the_round_and_says_which_stops_moved() -> None:
    # Going to 900 first and back to 100 wastes 1600 s: worth the change.
    result = _road((0, 1), [900, 100])
    assert result.routes == ((1, 0),)
    assert result.changed and set(result.changed) <= {0, 1}
