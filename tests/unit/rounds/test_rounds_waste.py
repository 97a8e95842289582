"""Waste rounds: the fill forecast, mandatory and optional containers, unloading when full."""

from __future__ import annotations

import pytest
from rounds_fixtures import h

from services.routing.rounds import (
    Container,
    Reading,
    Truck,
    VehicleProgress,
    WasteSettings,
    forecast_fill,
    plan_waste_round,
    replan_waste_round,
)

pytestmark = pytest.mark.unit

DAY = 86400
FAST = WasteSettings(time_limit=1.5, unit="litres")


def filling(cid: str, node: int, per_day: float, days: int = 4, start: float = 0.0) -> Container:
    readings = tuple(Reading(d * DAY, min(1.0, start + per_day * d)) for d in range(days + 1))
    return Container(cid, node, 1000, readings)


def test_forecast_extends_the_fill_rate_since_the_last_emptying() -> None:
    readings = (
        Reading(0, 0.70),
        Reading(DAY, 0.90),
        Reading(2 * DAY, 0.05),  # emptied: the cycle starts here
        Reading(3 * DAY, 0.15),
        Reading(4 * DAY, 0.25),
    )
    f = forecast_fill(Container("c", 1, 1000, readings), 6 * DAY)
    assert f.since == 2 * DAY and f.readings_used == 3
    assert f.rate_per_day == pytest.approx(0.10, abs=1e-6)
    assert f.level == pytest.approx(0.45, abs=1e-6)


def test_forecast_shrugs_off_one_bad_reading_and_stays_in_range() -> None:
    steady = [Reading(d * DAY, 0.1 * d) for d in range(6)]
    spike = Reading(int(4.5 * DAY), 0.95)  # a lid left open: one absurd reading
    glitch = Reading(int(3.5 * DAY), 0.0)  # a lone zero, back to normal the next reading
    noisy = (*steady[:4], glitch, steady[4], spike, steady[5])
    f = forecast_fill(Container("c", 1, 1000, noisy), 30 * DAY)
    assert f.since == 0  # neither the spike nor the glitch counts as an emptying
    assert f.level == 1.0  # clipped: a bin cannot be more than full
    assert 0.09 <= f.rate_per_day <= 0.12  # the median slope ignores the 0.95 spike
    assert forecast_fill(Container("empty", 1, 1000, ()), DAY).level == 0.0


def test_mandatory_containers_are_collected_and_the_truck_unloads_when_full(village) -> None:
    duration, distance = village
    containers = [filling(f"c{i}", i, 0.25) for i in range(1, 7)]  # all 100 % by day 4
    containers.append(filling("low", 7, 0.05))  # 20 %: skipped
    trucks = [Truck("truck-1", 2500, (h(6), h(14)))]
    plan = plan_waste_round(containers, trucks, [8], 4 * DAY, duration, distance, FAST)
    assert plan.feasible and not plan.missed_mandatory
    (r,) = plan.rounds
    collected = [c.container_id for t in r.trips for c in t.collections]
    assert sorted(collected) == [f"c{i}" for i in range(1, 7)]
    assert [f.container_id for f in plan.skipped] == ["low"]
    assert len(r.trips) >= 3  # 6000 litres in a 2500-litre truck
    for trip in r.trips:
        assert trip.disposal_node == 8
        assert trip.load <= 2500
        assert all(c.load_after <= 2500 for c in trip.collections)
    # It ends the day empty: every collection belongs to a trip that ends at the disposal site.
    assert sum(len(t.collections) for t in r.trips) == 6


def test_optional_containers_are_taken_only_when_worth_it(village) -> None:
    duration, distance = village
    containers = [
        filling("full", 1, 0.25),
        filling("optional-near", 1, 0.16),  # 64 % at the same address: free to take
        filling("optional-far", 9, 0.16),  # 64 % at the far farm: not worth 7 hours
    ]
    trucks = [Truck("truck-1", 10_000, (h(6), h(20)))]
    plan = plan_waste_round(containers, trucks, [8], 4 * DAY, duration, distance, FAST)
    collected = {c.container_id for r in plan.rounds for t in r.trips for c in t.collections}
    assert collected == {"full", "optional-near"}
    assert [f.container_id for f in plan.skipped] == ["optional-far"]


def test_an_urgent_container_joins_the_round_under_way(village) -> None:
    duration, distance = village
    containers = [filling(f"c{i}", i, 0.25) for i in range(1, 5)]
    trucks = [Truck("truck-1", 10_000, (h(6), h(14)))]
    plan = plan_waste_round(containers, trucks, [8], 4 * DAY, duration, distance, FAST)
    (r,) = plan.rounds
    order = [c.container_id for t in r.trips for c in t.collections]
    first_two = r.trips[0].collections[:2]
    progress = VehicleProgress(
        done=2, position=first_two[1].node, now=first_two[1].arrival + 90, load=2000
    )
    overflowing = Container("overflow", 6, 1000, (Reading(0, 0.2),))  # the sensor is behind
    new_plan, _ = replan_waste_round(
        containers,
        trucks,
        [8],
        4 * DAY,
        [order],
        [progress],
        duration,
        distance,
        urgent=[overflowing],
        settings=FAST,
    )
    (nr,) = new_plan.rounds
    remaining = [c.container_id for t in nr.trips for c in t.collections]
    assert sorted(remaining) == sorted([*order[2:], "overflow"])
    assert [c for c in remaining if c != "overflow"] == order[2:]
    assert nr.departure == progress.now
    assert not new_plan.missed_mandatory and not new_plan.skipped
