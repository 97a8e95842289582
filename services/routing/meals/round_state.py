"""Pure: the state of a meal round, from its stops and the marks at the door.

A vehicle's round is *planned* until its driver starts it (or marks a door), *started* then, and
*done* once every one of its stops is marked (livré, absent or refusé); it finished when its last
stop was marked. A day's plan is done once every vehicle that has stops is done. Everything is
derived from the marks (kept for months), so the state needs no field of its own to go stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.meals_events import RoundCompleted
from contracts.rounds import RoundState

Marks = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class VehicleState:
    status: RoundState
    marked: int
    total: int
    finished_at: dt.datetime | None = None


def delivery_stops(vehicle: Mapping[str, Any]) -> list[str]:
    """The ids of the vehicle's stops that are meals to hand over (not the kitchen, not a dump)."""
    return [s["id"] for s in vehicle["stops"] if s.get("kind", "delivery") == "delivery"]


def vehicle_state(stop_ids: Iterable[str], marks: Marks, started: bool) -> VehicleState:
    stops = list(stop_ids)
    done = [marks[s] for s in stops if s in marks]
    if stops and len(done) == len(stops):
        last = max(dt.datetime.fromisoformat(m["at"]) for m in done)
        return VehicleState("done", len(done), len(stops), last)
    status: RoundState = "started" if started or done else "planned"
    return VehicleState(status, len(done), len(stops))


def plan_state(states: Iterable[VehicleState]) -> RoundState:
    """Done when every vehicle with stops is done; started when one is under way."""
    working = [s for s in states if s.total]
    if working and all(s.status == "done" for s in working):
        return "done"
    return "started" if any(s.status != "planned" for s in working) else "planned"


def completes(stop_ids: Iterable[str], marks: Marks, delivery: str) -> bool:
    """Whether marking `delivery` (not yet in `marks`) is what finishes the vehicle's round."""
    stops = list(stop_ids)
    return delivery in stops and all(s in marks for s in stops if s != delivery)


def round_completed(
    round_id: str, vehicle: Mapping[str, Any], day: str, marks: Marks
) -> RoundCompleted:
    """The event of a vehicle's round whose every stop is in `marks` (the last one included)."""
    stops = delivery_stops(vehicle)
    state = vehicle_state(stops, marks, True)
    if state.finished_at is None:
        raise ValueError(f"round {round_id} of {vehicle['vehicle_id']} has stops left to mark")
    outcomes = [marks[s]["outcome"] for s in stops]
    return RoundCompleted(
        round_id=round_id,
        vehicle_id=vehicle["vehicle_id"],
        driver=vehicle.get("driver"),
        day=day,
        finished_at=state.finished_at,
        delivered=outcomes.count("delivered"),
        absent=outcomes.count("absent"),
        refused=outcomes.count("refused"),
    )


def with_state(plan: dict[str, Any], marks: Marks, started: Iterable[str]) -> dict[str, Any]:
    """The plan as JSON, each vehicle with its state and the plan with its own."""
    begun = set(started)
    vehicles, states = [], []
    for vehicle in plan["vehicles"]:
        state = vehicle_state(delivery_stops(vehicle), marks, vehicle["vehicle_id"] in begun)
        states.append(state)
        vehicles.append({
            **vehicle, "status": state.status, "marked": state.marked,
            "finished_at": state.finished_at.isoformat() if state.finished_at else None,
        })  # fmt: skip
    return {**plan, "vehicles": vehicles, "status": plan_state(states)}
