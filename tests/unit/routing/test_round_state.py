"""A meal round's state, pure: planned, started, done once every stop is marked at the door, and
the `round_completed` event of the mark that finishes it."""

from __future__ import annotations

import datetime as dt

import pytest

from services.routing.meals.round_state import (
    completes,
    plan_state,
    round_completed,
    vehicle_state,
    with_state,
)

pytestmark = pytest.mark.unit

VAN = {
    "vehicle_id": "van-1",
    "driver": "driver-1",
    "stops": [
        {"id": "meal-a", "kind": "delivery"},
        {"id": "meal-b"},
        {"id": "meal-c", "kind": "delivery"},
    ],
}
EMPTY_VAN = {"vehicle_id": "van-2", "driver": None, "stops": []}
PLAN = {"round_id": "meals-1", "kind": "meals", "date": "2026-12-10", "vehicles": [VAN, EMPTY_VAN]}


def _mark(outcome: str, clock: str) -> dict[str, str]:
    return {"outcome": outcome, "at": f"2026-12-10T{clock}:00+01:00", "by": "driver-1"}


def test_a_round_is_planned_then_started_then_done_when_its_last_door_is_marked() -> None:
    stops = ["meal-a", "meal-b", "meal-c"]
    assert vehicle_state(stops, {}, started=False).status == "planned"
    assert vehicle_state(stops, {}, started=True).status == "started"
    two = {"meal-a": _mark("delivered", "11:00"), "meal-c": _mark("absent", "11:40")}
    # A door marked before the start button (a forgotten tap) still means the van is out.
    assert vehicle_state(stops, two, started=False).status == "started"
    assert vehicle_state(stops, two, started=True).marked == 2
    three = {**two, "meal-b": _mark("refused", "11:20")}
    done = vehicle_state(stops, three, started=True)
    assert done.status == "done" and done.marked == done.total == 3
    # It finished with the latest mark, whatever the order the doors were marked in.
    assert done.finished_at == dt.datetime.fromisoformat("2026-12-10T11:40:00+01:00")


def test_only_the_last_mark_completes_the_round() -> None:
    stops = ["meal-a", "meal-b", "meal-c"]
    assert not completes(stops, {}, "meal-a")
    assert not completes(stops, {"meal-a": _mark("delivered", "11:00")}, "meal-b")
    two = {"meal-a": _mark("delivered", "11:00"), "meal-b": _mark("delivered", "11:10")}
    assert completes(stops, two, "meal-c")
    assert not completes(stops, two, "meal-elsewhere")


def test_the_completed_event_counts_the_outcomes() -> None:
    marks = {
        "meal-a": _mark("delivered", "11:00"),
        "meal-b": _mark("refused", "11:10"),
        "meal-c": _mark("absent", "11:30"),
    }
    event = round_completed("meals-1", VAN, "2026-12-10", marks)
    assert (event.delivered, event.absent, event.refused) == (1, 1, 1)
    assert event.driver == "driver-1" and event.finished_at.hour == 11
    with pytest.raises(ValueError, match="stops left to mark"):
        round_completed("meals-1", VAN, "2026-12-10", {"meal-a": marks["meal-a"]})


def test_a_plan_is_done_when_every_van_that_went_out_is_done() -> None:
    seen = with_state(PLAN, {}, started=[])
    assert seen["status"] == "planned"
    assert [v["status"] for v in seen["vehicles"]] == ["planned", "planned"]
    assert with_state(PLAN, {}, started=["van-1"])["status"] == "started"
    marks = {s["id"]: _mark("delivered", "12:00") for s in VAN["stops"]}
    done = with_state(PLAN, marks, started=["van-1"])
    # The van left home has no stops: it does not keep the day open.
    assert done["status"] == "done"
    assert done["vehicles"][0]["finished_at"] == "2026-12-10T12:00:00+01:00"
    assert done["vehicles"][0]["marked"] == 3 and done["vehicles"][1]["marked"] == 0
    assert plan_state([]) == "planned"
