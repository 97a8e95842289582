"""Meal rounds: windows, capacity, the cold/hot chain, preferred drivers, unserved reasons."""

from __future__ import annotations

import pytest
from rounds_fixtures import h

from services.routing.rounds import Delivery, MealSettings, MealVehicle, plan_meal_round

pytestmark = pytest.mark.unit

FAST = MealSettings(time_limit=1.0)


def four_stop_round() -> list[Delivery]:
    return [
        Delivery("mme-leroy", 1, (h(11), h(12.5)), boxes=2),
        Delivery("m-dubois", 2, (h(11), h(12.5))),
        Delivery("mme-petit", 3, (h(11.5), h(12)), boxes=3),
        Delivery("m-moreau", 4, (h(11), h(11.5))),
    ]


def van(name: str = "van-1", capacity: int = 10) -> MealVehicle:
    return MealVehicle(name, capacity, (h(10), h(14)))


def assert_plan_respects(plan, deliveries, vehicles, settings) -> None:
    by_id = {d.id: d for d in deliveries}
    cap = {v.id: v.capacity for v in vehicles}
    seen = []
    for r in plan.rounds:
        assert sum(by_id[s.delivery_id].boxes for s in r.stops) <= cap[r.vehicle_id]
        for s in r.stops:
            early, late = by_id[s.delivery_id].window
            assert early <= s.service_start <= late
            assert s.arrival <= s.service_start
            if settings.max_ride is not None:
                assert s.on_board_since_departure <= settings.max_ride
            seen.append(s.delivery_id)
    assert len(seen) == len(set(seen))


def test_four_stop_round_serves_everyone_in_their_window(village) -> None:
    duration, distance = village
    deliveries, vehicles = four_stop_round(), [van()]
    plan = plan_meal_round(deliveries, vehicles, duration, distance, FAST)
    assert plan.feasible and not plan.unserved
    assert_plan_respects(plan, deliveries, vehicles, FAST)
    (r,) = plan.rounds
    assert {s.delivery_id for s in r.stops} == {d.id for d in deliveries}
    assert r.km > 0 and r.working_minutes >= r.driving_minutes > 0 and r.co2_kg > 0


def test_capacity_splits_the_round_between_two_vans(village) -> None:
    duration, distance = village
    deliveries = [Delivery(f"d{i}", i, (h(11), h(13)), boxes=3) for i in range(1, 9)]
    vehicles = [van("van-1", 12), van("van-2", 12)]
    plan = plan_meal_round(deliveries, vehicles, duration, distance, FAST)
    assert not plan.unserved
    assert len([r for r in plan.rounds if r.stops]) == 2
    assert_plan_respects(plan, deliveries, vehicles, FAST)


def test_chain_limit_is_respected_even_when_it_costs_driving(village) -> None:
    duration, distance = village
    # Long doorstep times: one van could serve all eight, but not within 30 minutes of leaving.
    settings = MealSettings(max_ride=30 * 60, time_limit=1.0)
    deliveries = [Delivery(f"d{i}", i, (h(10), h(14)), service=300) for i in range(1, 9)]
    vehicles = [van("van-1"), van("van-2"), van("van-3")]
    plan = plan_meal_round(deliveries, vehicles, duration, distance, settings)
    assert not plan.unserved
    assert_plan_respects(plan, deliveries, vehicles, settings)
    assert len([r for r in plan.rounds if r.stops]) >= 2


def test_unserved_deliveries_come_with_the_right_reason(village) -> None:
    duration, distance = village
    deliveries = [
        *four_stop_round(),
        Delivery("before-the-shift", 5, (h(6), h(6.2))),
        Delivery("too-many-boxes", 6, (h(11), h(13)), boxes=50),
        Delivery("the-far-farm", 9, (h(10), h(17))),
    ]
    vehicles = [MealVehicle("van-1", 10, (h(10), h(18)))]
    plan = plan_meal_round(deliveries, vehicles, duration, distance, FAST)
    reasons = {u.delivery_id: u.reason for u in plan.unserved}
    assert reasons == {
        "before-the-shift": "outside_every_window",
        "too-many-boxes": "capacity",
        "the-far-farm": "chain_limit",
    }
    assert_plan_respects(plan, deliveries, vehicles, FAST)


def test_full_vans_leave_the_last_delivery_for_capacity(village) -> None:
    duration, distance = village
    deliveries = [Delivery(f"d{i}", i, (h(11), h(13)), boxes=4) for i in range(1, 4)]
    plan = plan_meal_round(deliveries, [van(capacity=8)], duration, distance, FAST)
    assert [u.reason for u in plan.unserved] == ["capacity"]


def test_preferred_driver_serves_their_usual_senior_when_it_is_cheap(village) -> None:
    duration, distance = village
    deliveries = [
        Delivery("usual-of-van-2", 1, (h(11), h(13)), preferred_vehicle="van-2"),
        Delivery("usual-of-van-1", 2, (h(11), h(13)), preferred_vehicle="van-1"),
    ]
    plan = plan_meal_round(deliveries, [van("van-1"), van("van-2")], duration, distance, FAST)
    served_by = {s.delivery_id: r.vehicle_id for r in plan.rounds for s in r.stops}
    assert served_by == {"usual-of-van-2": "van-2", "usual-of-van-1": "van-1"}
