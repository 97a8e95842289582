"""Meal-delivery and waste-collection rounds: what a dispatcher asks and what a driver gets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from contracts.base import Contract
from contracts.routing import LatLon

Clock = str  # "HH:MM", local time (Europe/Paris)
# A meal round's state: planned; started (the driver set off, or a door was marked); done
# (every stop of the vehicle, or of every vehicle with stops, is marked at the door).
RoundState = Literal["planned", "started", "done"]
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def minutes_of(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class DeliveryIn(Contract):
    id: str = Field(min_length=1, max_length=64)
    location: LatLon
    window_start: Clock = Field(pattern=CLOCK_PATTERN)
    window_end: Clock = Field(pattern=CLOCK_PATTERN)
    service_minutes: float = Field(default=2, ge=0, le=60)
    boxes: int = Field(default=1, ge=1, le=50)
    preferred_vehicle: str | None = None
    recipient_name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    commune: str | None = Field(
        default=None, min_length=1, max_length=16, description="INSEE code of the commune"
    )

    @model_validator(mode="after")
    def _window(self) -> DeliveryIn:
        if minutes_of(self.window_end) < minutes_of(self.window_start):
            raise ValueError(f"delivery {self.id}: window ends before it starts")
        return self


class VehicleIn(Contract):
    id: str = Field(min_length=1, max_length=64)
    # Bounded: the solver works in integers, and 1e300 boxes overflowed it (a 502).
    capacity: float = Field(
        gt=0, le=1_000_000, description="meal boxes, or kg / litres for a truck"
    )
    shift_start: Clock = Field(pattern=CLOCK_PATTERN)
    shift_end: Clock = Field(pattern=CLOCK_PATTERN)
    driver: str | None = Field(default=None, description="username of the driver")
    start: LatLon | None = Field(default=None, description="default: the depot")
    end: LatLon | None = Field(default=None, description="default: the depot")

    @model_validator(mode="after")
    def _shift(self) -> VehicleIn:
        if minutes_of(self.shift_end) <= minutes_of(self.shift_start):
            raise ValueError(f"vehicle {self.id}: shift ends before it starts")
        return self


# An idempotency key for a plan request (the same in both plan requests).
PlanKey = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=120,
        description="idempotency key: the same request sent again with the same key (a retry "
        "after a 503 or a timeout) answers the plan the first one made, never a second plan; the "
        "same key with another request is refused (409)",
    ),
]


class MealRoundRequest(Contract):
    date: dt.date
    kitchen: LatLon
    deliveries: list[DeliveryIn] = Field(min_length=1, max_length=500)
    vehicles: list[VehicleIn] = Field(min_length=1, max_length=50)
    max_ride_minutes: float | None = Field(
        default=120, gt=0, le=24 * 60, description="cold/hot chain"
    )
    client_key: PlanKey = None
    time_limit_s: float = Field(default=5, ge=1, le=120)
    accept_nearest_road: bool = Field(
        default=False,
        description="place points farther than the allowed distance from any road at their "
        "nearest road point instead of refusing them (or leaving the stop unserved)",
    )

    @model_validator(mode="after")
    def _unique(self) -> MealRoundRequest:
        for name, ids in (
            ("delivery", [d.id for d in self.deliveries]),
            ("vehicle", [v.id for v in self.vehicles]),
        ):
            seen = {i for i in ids if ids.count(i) > 1}
            if seen:
                raise ValueError(f"{name} ids must be unique: {sorted(seen)}")
        return self


class StopOut(Contract):
    id: str
    location: LatLon
    arrival: Clock
    service_start: Clock
    on_board_minutes: float | None = None
    recipient_name: str = ""
    address: str = ""
    kind: Literal["delivery", "container", "disposal"] = "delivery"
    done: bool = False
    window_start: Clock | None = None
    window_end: Clock | None = None
    commune: str | None = None


class VehicleRoundOut(Contract):
    vehicle_id: str
    driver: str | None = None
    departure: Clock
    return_time: Clock
    stops: list[StopOut]
    km: float
    driving_minutes: float
    working_minutes: float
    co2_kg: float
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON LineString")
    status: RoundState | None = Field(
        default=None, description="meal rounds read back: planned, started or done"
    )
    marked: int | None = Field(default=None, description="meal rounds: stops marked at the door")
    finished_at: AwareDatetime | None = Field(
        default=None, description="done: when its last stop was marked"
    )


class UnservedOut(Contract):
    id: str
    reason: str = Field(
        description="outside_every_window, capacity, chain_limit, no_room_in_schedules, "
        "no_truck_could_take_it, not_on_road_network (too far from any road: see distance_m), "
        "unreachable (no road from the depot and back)"
    )
    detail: str
    name: str = Field(default="", description="the recipient's or the container's name")
    distance_m: float | None = Field(
        default=None, description="not_on_road_network: how far the point is from any road"
    )


class RoundPlan(Contract):
    round_id: str
    kind: Literal["meals", "waste"]
    date: dt.date
    version: int = 1
    vehicles: list[VehicleRoundOut]
    unserved: list[UnservedOut] = []
    skipped: list[dict[str, Any]] = []
    feasible: bool
    engine: str
    solve_seconds: float
    changed: list[str] = Field(default=[], description="stops whose order a re-plan changed")
    search_progress: list[dict[str, Any]] = Field(
        default=[], description="each improvement of the search: elapsed_s, best_cost, engine"
    )
    stability_penalty_s: int | None = None
    status: RoundState | None = Field(
        default=None,
        description="meal rounds read back: done once every vehicle with stops is done",
    )


class ReplanRequest(Contract):
    vehicle_id: str
    position: LatLon
    now: Clock = Field(pattern=CLOCK_PATTERN)
    done: list[str] = Field(default=[], description="stops done, in order")
    added: list[DeliveryIn] = []
    cancelled: list[str] = []
    urgent_containers: list[str] = Field(
        default=[], description="waste: registered containers to add (an overflow report)"
    )
    delay_minutes: float = Field(default=0, ge=0, le=600)
    time_limit_s: float = Field(default=3, ge=1, le=60)
    client_key: PlanKey = None


class RoundPlanned(Contract):
    """Events `round_planned` and `round_replanned`."""

    round_id: str
    kind: Literal["meals", "waste"]
    date: dt.date
    version: int
    vehicles: list[str]
    unserved: list[str]


WasteStream = Literal["ordures_menageres", "emballages", "verre", "papier", "biodechets"]


class _ContainerFields(Contract):
    id: str = Field(min_length=1, max_length=64)
    location: LatLon
    volume_litres: float = Field(gt=0, le=50_000)
    stream: WasteStream = "ordures_menageres"
    density_kg_per_litre: float = Field(default=0.12, gt=0, le=2)
    service_minutes: float = Field(default=1.5, ge=0, le=60)
    name: str = Field(default="", max_length=200, description="where it stands, for people")


class ContainerIn(_ContainerFields):
    """A container to register (or to register again, replacing what was known of it)."""

    accept_nearest_road: bool = Field(
        default=False,
        description="too far from any road: register it at its nearest road point instead of "
        "refusing it",
    )


class ContainerOut(_ContainerFields):
    """A registered container. A retired one keeps its readings but is never planned."""

    retired: bool = False


class ContainerForecast(Contract):
    """A container's fill, last read and forecast (the model of the waste rounds)."""

    id: str
    name: str = ""
    stream: WasteStream
    location: LatLon
    last_level_pct: float | None = Field(default=None, description="the last reading, if any")
    last_reading_at: AwareDatetime | None = None
    forecast_pct: float = Field(description="forecast fill at the asked time")
    rate_pct_per_day: float = Field(description="fill rate since the last emptying")
    full_at: AwareDatetime | None = Field(
        default=None,
        description="when the forecast reaches the threshold (already past: the last reading's "
        "time or the asked time); null when it does not fill",
    )
    verdict: Literal["collect", "optional", "skip"] = Field(
        description="at the asked time: at or above the threshold (collect), above "
        "optional_from (optional), below (skip)"
    )
    readings_used: int = Field(ge=0, description="readings since the last emptying")


class ForecastRequest(Contract):
    """The outlook asked for: the time of the collection and the plan's thresholds."""

    at: AwareDatetime = Field(description="when the collection would be")
    threshold_pct: float = Field(default=80, gt=0, le=100)
    optional_from_pct: float = Field(default=50, ge=0, le=100)


class ContainerForecasts(Contract):
    """Every container in service (not retired), fullest forecast first."""

    at: AwareDatetime
    threshold_pct: float
    optional_from_pct: float
    containers: list[ContainerForecast]


class ContainerPatch(Contract):
    """`PATCH /containers/{id}`: move, rename, retire (or bring back) a container."""

    location: LatLon | None = None
    accept_nearest_road: bool = False
    name: str | None = Field(default=None, max_length=200)
    volume_litres: float | None = Field(default=None, gt=0, le=50_000)
    stream: WasteStream | None = None
    density_kg_per_litre: float | None = Field(default=None, gt=0, le=2)
    service_minutes: float | None = Field(default=None, ge=0, le=60)
    retired: bool | None = None


class ContainerVerdict(Contract):
    """What became of one container of a registration."""

    id: str
    status: Literal["registered", "refused"]
    detail: str = ""
    location: LatLon | None = Field(default=None, description="where it was registered")
    distance_m: float | None = Field(default=None, description="from the nearest road")
    nearest_road: str | None = None


class ContainersRegistered(Contract):
    registered: int
    refused: int
    items: list[ContainerVerdict]


class FillReading(Contract):
    """One measurement from a container's sensor. `reading_id` makes ingestion idempotent."""

    reading_id: str = Field(min_length=1, max_length=128)
    container_id: str = Field(min_length=1, max_length=64)
    at: dt.datetime
    level_pct: float = Field(ge=0, le=100, allow_inf_nan=False)

    @model_validator(mode="after")
    def _aware(self) -> FillReading:
        if self.at.tzinfo is None:
            raise ValueError("at must carry a time zone (e.g. 2026-11-23T08:00:00+01:00)")
        return self


class ContainerDetail(Contract):
    """`GET /containers/{id}`: the container and the readings still kept, oldest first."""

    container: ContainerOut
    readings: list[FillReading]


class ReadingOutcome(Contract):
    reading_id: str
    status: Literal["recorded", "duplicate"]


class WasteRoundRequest(Contract):
    date: dt.date
    collection_time: Clock = Field(pattern=CLOCK_PATTERN, description="when the forecast is for")
    depot: LatLon
    disposal_sites: list[LatLon] = Field(min_length=1, max_length=10)
    trucks: list[VehicleIn] = Field(min_length=1, max_length=30)
    stream: WasteStream = "ordures_menageres"
    threshold_pct: float = Field(default=80, gt=0, le=100)
    optional_from_pct: float = Field(default=50, ge=0, le=100)
    capacity_unit: Literal["kg", "litres"] = "kg"
    client_key: PlanKey = None
    time_limit_s: float = Field(default=5, ge=1, le=120)
    accept_nearest_road: bool = Field(
        default=False,
        description="place points farther than the allowed distance from any road at their "
        "nearest road point instead of refusing them (or leaving the stop unserved)",
    )
