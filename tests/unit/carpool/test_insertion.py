"""Exact insertion on a small named fixture: one road A–B–C–D (10 min apart) and a farm E on a
20-minute lane off C. The driver goes A → D (30 min), so the default detour is 10 min."""

from __future__ import annotations

import pytest

from services.carpool.matching.insertion import (
    INF,
    PROMISE_SLACK_S,
    Ask,
    Candidate,
    Ride,
    Stop,
    best_insertion,
)
from services.carpool.matching.search import direct_budget

pytestmark = pytest.mark.unit

A, B, C, D, E = range(5)
ROAD_MIN = {A: 0, B: 10, C: 20, D: 30}
H = 3600


def travel(a: int, b: int) -> float:
    if a == b:
        return 0.0
    if E in (a, b):
        other = b if a == E else a
        return (20 + abs(ROAD_MIN[C] - ROAD_MIN[other])) * 60.0
    return abs(ROAD_MIN[a] - ROAD_MIN[b]) * 60.0


def ride(**changes: object) -> Ride:
    fields: dict[str, object] = {
        "origin": A,
        "destination": D,
        "depart_earliest": 8 * H,
        "depart_latest": 8 * H + 30 * 60,
        "seats": 3,
        "direct_s": 1800.0,
        "max_detour_s": direct_budget(1800.0, 15, 1 / 3),
    }
    fields.update(changes)
    return Ride(**fields)  # type: ignore[arg-type]


def ask(pickup: int, dropoff: int, **changes: object) -> Ask:
    fields: dict[str, object] = {
        "pickups": (Candidate(pickup),),
        "dropoffs": (Candidate(dropoff),),
    }
    fields.update(changes)
    return Ask(**fields)  # type: ignore[arg-type]


def test_the_default_detour_is_the_smaller_of_a_third_and_15_minutes() -> None:
    assert direct_budget(1800, 15, 1 / 3) == 600
    assert direct_budget(3 * H, 15, 1 / 3) == 900


def test_a_passenger_on_the_way_costs_no_detour() -> None:
    found = best_insertion(ride(), ask(B, C), travel)
    assert found is not None
    assert found.detour_s == 0
    assert found.pickup_time == 8 * H + 10 * 60
    assert found.dropoff_time == 8 * H + 20 * 60


def test_a_farm_40_minutes_off_the_road_is_refused_within_the_default_detour() -> None:
    assert best_insertion(ride(), ask(B, E), travel) is None
    accepting = ride(max_detour_s=45 * 60.0)
    found = best_insertion(accepting, ask(B, E), travel)
    assert found is not None and found.detour_s == 40 * 60


def test_a_pickup_before_the_driver_can_get_there_is_refused() -> None:
    # The driver cannot be at B before 8:10; the passenger must leave by 8:05.
    assert best_insertion(ride(), ask(B, C, depart_before=8 * H + 5 * 60), travel) is None


def test_an_arrival_window_makes_the_driver_leave_in_time_and_no_earlier_than_needed() -> None:
    # At C by 8:45 and not before 8:40: the driver leaves at 8:20 rather than wait at C.
    found = best_insertion(
        ride(), ask(B, C, arrive_after=8 * H + 40 * 60, arrive_by=8 * H + 45 * 60), travel
    )
    assert found is not None
    assert found.departure == 8 * H + 20 * 60
    assert found.wait_s == 0
    assert 8 * H + 40 * 60 <= found.dropoff_time <= 8 * H + 45 * 60


def test_waiting_for_a_late_passenger_counts_against_the_detour() -> None:
    # The passenger leaves B at 8:55 at the earliest; the driver must leave by 8:30: 15 min wait.
    late = ask(B, C, depart_after=8 * H + 55 * 60)
    assert best_insertion(ride(), late, travel) is None
    found = best_insertion(ride(max_detour_s=20 * 60.0), late, travel)
    assert found is not None and found.wait_s == 15 * 60 and found.detour_s == 15 * 60


def test_a_full_car_takes_someone_on_a_leg_where_a_seat_is_free() -> None:
    booked = (
        Stop(B, 8 * H + 10 * 60, 8 * H + 10 * 60 + PROMISE_SLACK_S, 1, "b1"),
        Stop(D, 0, 8 * H + 30 * 60 + PROMISE_SLACK_S, -1, "b1"),
    )
    full = ride(seats=1, stops=booked)
    assert best_insertion(full, ask(B, C), travel) is None  # overlaps the booked leg
    found = best_insertion(full, ask(A, B), travel)
    assert found is not None
    assert [s.ref for s in found.stops] == ["new", "new", "b1", "b1"]


def test_promises_to_passengers_already_booked_still_hold() -> None:
    # Booked: C at 8:20 → D by 8:35. Taking a new passenger to the farm E first would make them
    # late; after them, the trip back from E breaks the 45 min detour.
    booked = (
        Stop(C, 8 * H + 20 * 60, 8 * H + 20 * 60 + PROMISE_SLACK_S, 1, "b1"),
        Stop(D, 0, 8 * H + 30 * 60 + PROMISE_SLACK_S, -1, "b1"),
    )
    generous = ride(max_detour_s=45 * 60.0)
    assert best_insertion(generous, ask(B, E), travel) is not None  # alone, it would go
    assert best_insertion(ride(max_detour_s=45 * 60.0, stops=booked), ask(B, E), travel) is None


def test_a_wheelchair_or_a_child_seat_needs_a_car_that_takes_it() -> None:
    assert best_insertion(ride(), ask(B, C, wheelchair=True), travel) is None
    assert best_insertion(ride(wheelchair=True), ask(B, C, wheelchair=True), travel) is not None
    assert best_insertion(ride(), ask(B, C, child_seat=True), travel) is None


def test_more_seats_than_the_car_has_are_refused() -> None:
    assert best_insertion(ride(seats=2), ask(B, C, seats=3), travel) is None


def test_a_meeting_point_within_walking_distance_replaces_a_pickup_off_the_road() -> None:
    # The passenger lives at the farm E; the meeting place at C is a short walk away.
    walk = Candidate(C, walk_s=600, walk_m=700, key="aire-c")
    choice = ask(E, D, pickups=(Candidate(E), walk))
    found = best_insertion(ride(), choice, travel)
    assert found is not None
    assert found.pickup.key == "aire-c" and found.detour_s == 0 and found.walk_m == 700


def test_an_unreachable_point_is_never_inserted() -> None:
    def broken(a: int, b: int) -> float:
        return INF if b == C else travel(a, b)

    assert best_insertion(ride(), ask(B, C), broken) is None


def test_float_noise_between_two_equal_roads_never_sends_the_passenger_walking() -> None:
    """A meeting place at the same spot of the road as the passenger's door, its times a hair
    shorter (rounding): the passenger is picked up at the door, not told to walk 300 m."""
    place = 5

    def noisy(a: int, b: int) -> float:
        if place in (a, b):
            other = b if a == place else a
            return 0.0 if other == B else max(travel(B, other) - 1e-4, 0.0)
        return travel(a, b)

    door, walk = Candidate(B), Candidate(place, walk_s=250.0, walk_m=300.0, key="pl-1")
    found = best_insertion(ride(), ask(B, C, pickups=(walk, door)), noisy)
    assert found is not None and found.pickup == door and found.walk_m == 0
