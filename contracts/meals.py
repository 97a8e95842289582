"""Meals for seniors: profiles, families, weekly menus, orders, the day's deliveries and the
kitchen sheet. The routing service owns all of these; the gateway passes them through."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from contracts.base import Contract
from contracts.meals_events import EmergencyContact
from contracts.rounds import CLOCK_PATTERN, Clock, RoundState, VehicleIn, minutes_of
from contracts.routing import LatLon

Diet = Literal["sans_sel", "diabetique", "sans_gluten", "vegetarien", "hypocalorique"]
Texture = Literal["normale", "hachee", "mixee"]
Weekday = Literal["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
WEEKDAYS: tuple[Weekday, ...] = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
SENIOR_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Pause(Contract):
    """No delivery from `start` to `end` inclusive (a hospital stay); deliveries resume the day
    after `end` by themselves."""

    start: dt.date
    end: dt.date
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Pause:
        if self.end < self.start:
            raise ValueError(f"the pause ends ({self.end}) before it starts ({self.start})")
        return self


class FamilyLink(Contract):
    """A family account linked to a senior, by a dispatcher. `phone` and `notify`: the SMS when
    the driver is about 15 minutes away and when the meal is delivered."""

    username: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(default=None, min_length=3, max_length=32, description="E.164")
    notify: bool = False

    @model_validator(mode="after")
    def _phone_to_notify(self) -> FamilyLink:
        if self.notify and not self.phone:
            raise ValueError("a family that wants SMS needs a phone number")
        return self


class SeniorIn(Contract):
    """A senior's profile as a dispatcher registers (or replaces) it."""

    id: str = Field(pattern=SENIOR_ID_PATTERN)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=300)
    commune: str = Field(min_length=1, max_length=16, description="INSEE code")
    location: LatLon = Field(description="[lat, lon]; must be on (near) the road graph")
    weekdays: tuple[Weekday, ...] = Field(min_length=1, description="delivery days")
    diets: tuple[Diet, ...] = ()
    texture: Texture = "normale"
    allergies: tuple[str, ...] = Field(default=(), description="allergens, e.g. arachide")
    door_notes: str = Field(default="", max_length=500, description="boîte à clés, chien...")
    emergency_contacts: tuple[EmergencyContact, ...] = Field(
        min_length=1, max_length=10, description="in the order they are called"
    )


class Senior(SeniorIn):
    pauses: tuple[Pause, ...] = ()
    families: tuple[FamilyLink, ...] = Field(default=(), description="linked family accounts")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def family_usernames(self) -> tuple[str, ...]:
        return tuple(link.username for link in self.families)


class PauseChange(Contract):
    """Add a pause, or extend the one that starts on `start` (same start, later end)."""

    pause: Pause


class MenuChoice(Contract):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    diets: tuple[Diet, ...] = Field(default=(), description="diets this dish suits")
    textures: tuple[Texture, ...] = Field(default=("normale",), min_length=1)
    allergens: tuple[str, ...] = ()


class MenuDay(Contract):
    day: dt.date
    choices: tuple[MenuChoice, ...] = Field(min_length=1, max_length=20)


class WeeklyMenu(Contract):
    """The kitchen's menu for the week starting `week` (a Monday)."""

    week: dt.date
    days: tuple[MenuDay, ...] = Field(min_length=1, max_length=7)

    @model_validator(mode="after")
    def _in_week(self) -> WeeklyMenu:
        if self.week.weekday() != 0:
            raise ValueError(f"week must be a Monday, {self.week} is not")
        end = self.week + dt.timedelta(days=6)
        for menu_day in self.days:
            if not self.week <= menu_day.day <= end:
                raise ValueError(f"{menu_day.day} is not in the week of {self.week}")
        days = [d.day for d in self.days]
        if len(set(days)) != len(days):
            raise ValueError("each day appears once")
        return self


class OrderIn(Contract):
    """Order (or change) the meal of one day; `texture` defaults to the senior's."""

    day: dt.date
    choice_id: str = Field(min_length=1, max_length=64)


class Order(Contract):
    senior_id: str
    day: dt.date
    choice_id: str
    choice_name: str
    texture: Texture
    diets: tuple[Diet, ...] = ()
    status: Literal["placed", "cancelled"] = "placed"
    changed_by: str
    changed_at: AwareDatetime
    cutoff: AwareDatetime
    editable: bool = True
    read_only_reason: str = ""


class OrderPlaced(Contract):
    """Event `order_placed` (also on a change, and with status cancelled on a cancellation)."""

    senior_id: str
    day: dt.date
    choice_id: str
    status: Literal["placed", "cancelled"]
    by: str


class HistoryEntry(Contract):
    at: AwareDatetime
    by: str
    what: str


class MealSettings(Contract):
    """Per-tenant meal settings (a dispatcher's)."""

    cutoff_hours: int = Field(default=48, ge=0, le=24 * 14)
    weekend_cutoff_hours: int = Field(default=72, ge=0, le=24 * 14)
    window_start: Clock = Field(default="10:30", pattern=CLOCK_PATTERN)
    window_end: Clock = Field(default="13:00", pattern=CLOCK_PATTERN)

    @model_validator(mode="after")
    def _window(self) -> MealSettings:
        if minutes_of(self.window_end) <= minutes_of(self.window_start):
            raise ValueError("the delivery window ends before it starts")
        return self


class DayPlanRequest(Contract):
    """Plan the day's meal rounds from the day's orders: one click for a dispatcher."""

    date: dt.date
    kitchen: LatLon
    vehicles: list[VehicleIn] = Field(min_length=1, max_length=50)
    time_limit_s: float = Field(default=5, ge=1, le=120)


class SheetLine(Contract):
    choice_id: str
    choice_name: str
    diets: tuple[Diet, ...] = ()
    texture: Texture
    count: int


class SheetGroup(Contract):
    round: str = Field(description="vehicle id, or 'sans tournée' for meals not yet on a round")
    lines: tuple[SheetLine, ...]
    total: int


class KitchenSheet(Contract):
    day: dt.date
    groups: tuple[SheetGroup, ...]
    totals: tuple[SheetLine, ...]
    total: int


DeliveryOutcome = Literal["delivered", "absent", "refused"]


class DeliveryMark(Contract):
    """What the driver reports at the door."""

    outcome: DeliveryOutcome
    at: AwareDatetime
    note: str = Field(default="", max_length=500)


class Position(Contract):
    """The driver's phone position; `at` is when it was taken (queued ones arrive late)."""

    vehicle_id: str = Field(min_length=1, max_length=64)
    location: LatLon
    at: AwareDatetime


class StopView(Contract):
    """A stop as the driver sees it."""

    delivery_id: str
    senior_id: str
    name: str
    address: str
    location: LatLon
    door_notes: str = ""
    meal: str = ""
    texture: Texture = "normale"
    status: Literal["pending", "delivered", "absent", "refused"] = "pending"
    eta: AwareDatetime | None = None


class DriverRound(Contract):
    round_id: str
    vehicle_id: str
    day: dt.date
    started: bool
    stops: tuple[StopView, ...]
    next_stop: StopView | None = None
    status: RoundState = Field(
        default="planned", description="done once every stop is marked at the door"
    )
    finished_at: AwareDatetime | None = Field(
        default=None, description="done: when its last stop was marked"
    )


class FamilyTracking(Contract):
    """What a family sees: never another senior's address."""

    senior_id: str
    day: dt.date
    status: Literal["not_ordered", "not_planned", "pending", "delivered", "absent", "refused"]
    eta: AwareDatetime | None = None
    stops_before: int | None = None
    vehicle: LatLon | None = Field(
        default=None, description="only once the vehicle is heading to this senior"
    )
    path: tuple[LatLon, ...] | None = Field(
        default=None,
        description="the road the vehicle has left to this senior ([lat, lon] along the road "
        "graph, from the vehicle to the senior's road), only once it is heading here",
    )


class SeniorExport(Contract):
    """`GET /seniors/{id}/export`: everything routing holds about one senior (RGPD access)."""

    senior: Senior
    history: tuple[HistoryEntry, ...]
    orders: tuple[Order, ...]
    deliveries: dict[str, dict[str, str]] = Field(
        description="marks at the door by delivery id: outcome, at, by, round_id, vehicle_id"
    )


class SeniorErased(Contract):
    """`DELETE /seniors/{id}`: what went, and how many delivered meals stay as anonymous counts
    (no name, no address, no point) for the kitchen sheets."""

    erased: bool
    orders_removed: int
    meals_kept_anonymous: int


class SeniorErasedEvent(Contract):
    """Event `senior_erased`: routing erased the senior (RGPD); a service that keeps a copy of
    their data (the alerts service's welfare cases and escalations) erases it too."""

    senior_id: str
    by: str
    at: AwareDatetime
