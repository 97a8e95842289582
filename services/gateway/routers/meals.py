"""Seniors' meals over HTTP (issue 11): profiles, families, menus, orders, the day's plan, the
kitchen sheet, the driver at the door, positions, and what a family follows live.

Routing owns all of it and decides, from the Caller, what each user reaches: a family only its
linked seniors (any other answers 404, like one that does not exist). These routes check roles,
pass the contract through and read the answer back as the contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from contracts.lax_input import IsoDate
from contracts.meals import (
    DayPlanRequest,
    DeliveryMark,
    DriverRound,
    FamilyTracking,
    HistoryEntry,
    KitchenSheet,
    MealSettings,
    Order,
    OrderIn,
    Pause,
    Position,
    Senior,
    SeniorErased,
    SeniorExport,
    SeniorIn,
    WeeklyMenu,
)
from contracts.rounds import RoundPlan
from contracts.users import Role
from services.gateway.event_feed import senior_key
from services.gateway.live import Frame, require_roles_or_query_token, sse_event, sse_response
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep, uploaded_file
from services.gateway.rpc import ServiceFailed, expect
from services.gateway.solves import solve
from services.gateway.state import Gateway

router = APIRouter(tags=["meals"])
Dispatcher = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)]
Reader = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN, Role.FAMILY, Role.MAYOR)]
Orderer = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN, Role.FAMILY)]
Driver = Annotated[CurrentUser, require_roles(Role.DRIVER, Role.DISPATCHER, Role.ADMIN)]
SeniorId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Username = Annotated[str, Path(min_length=1, max_length=64)]
RoundId = Annotated[str, Path(min_length=1, max_length=128)]
VehicleId = Annotated[str, Path(min_length=1, max_length=64)]
DeliveryId = Annotated[str, Path(min_length=1, max_length=64)]
PARIS = ZoneInfo("Europe/Paris")
LIVE_POLL_S = 0.5

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such senior (or not one you reach), order, round or delivery"},
    409: {"description": "already marked, not started, or no road graph is loaded"},
    422: {"description": "invalid, or refused with the reason (cutoff, diet, pause, road)"},
    503: {"description": "the routing service is unreachable or did not answer in time"},
}
_SENIORS = TypeAdapter(list[Senior])
_ORDERS = TypeAdapter(list[Order])
_HISTORY = TypeAdapter(list[HistoryEntry])
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "the register as CSV (or a multipart form with the file): id, "
        "first_name, last_name, address, commune, lat, lon, weekdays, diets, texture, allergies, "
        "door_notes, contact1_name, contact1_phone, contact1_relation, contact2_...",
    }
}


class FamilyLinkIn(BaseModel):
    """`PUT /seniors/{id}/families/{username}`: the family's phone and SMS opt-in."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    phone: str | None = Field(default=None, min_length=3, max_length=32, description="E.164")
    notify: bool = False


class OrderChoice(BaseModel):
    """`PUT /seniors/{id}/orders/{day}`: the menu's choice."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    choice_id: str = Field(min_length=1, max_length=64, examples=["blanquette"])


class ImportRow(BaseModel):
    row: int
    id: str
    status: str
    detail: str = ""


class SeniorsImported(BaseModel):
    imported: int
    refused: int
    rows: list[ImportRow]


class PositionAccepted(BaseModel):
    accepted: bool
    used: bool = Field(description="false for a position older than the last (sent late)")
    moved: list[str] = Field(description="deliveries whose ETA moved by more than 2 minutes")


def _call(gateway: Gateway, user: CurrentUser, method: str, *args: Any, **kw: Any) -> Any:
    caller = user.caller.model_dump(mode="json")
    return gateway.rpc.call("routing", method, gateway.settings.tenant, caller, *args, **kw)


def _list(adapter: TypeAdapter[Any], answer: Any) -> Any:
    try:
        return adapter.validate_python(answer)
    except ValueError as error:
        raise ServiceFailed("routing", "UnexpectedAnswer", str(error)) from None


def _today() -> dt.date:
    return dt.datetime.now(PARIS).date()


# -- seniors --------------------------------------------------------------------------------------
@router.put("/seniors/{senior_id}", response_model=Senior, responses=ERRORS)
def save_senior(
    senior_id: SeniorId, body: SeniorIn, user: Dispatcher, gateway: GatewayDep
) -> Senior:
    """Register or replace a senior. The point must be on (near) the road graph: otherwise 422
    naming the senior, its distance and the nearest road. Pauses and families are kept."""
    if body.id != senior_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"the body's id {body.id!r} is not the path's {senior_id!r}",
        )
    return expect(
        "routing", Senior, _call(gateway, user, "save_senior", body.model_dump(mode="json"))
    )


@router.post("/seniors/import", response_model=SeniorsImported, responses=ERRORS,
             openapi_extra=CSV_BODY)  # fmt: skip
def import_seniors(
    data: Annotated[bytes, Depends(uploaded_file)], user: Dispatcher, gateway: GatewayDep
) -> SeniorsImported:
    """The existing register, as CSV: a verdict per row (imported, or refused with why)."""
    if not data.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail="the file is not UTF-8 text"
        ) from None
    return expect("routing", SeniorsImported, _call(gateway, user, "import_seniors", text))


@router.get("/seniors", response_model=list[Senior], responses=ERRORS)
def list_seniors(user: Reader, gateway: GatewayDep) -> list[Senior]:
    """The seniors you reach: all for a dispatcher, a family's own, a mayor's communes'."""
    return _list(_SENIORS, _call(gateway, user, "list_seniors"))  # type: ignore[no-any-return]


@router.get("/seniors/{senior_id}", response_model=Senior, responses=ERRORS)
def get_senior(senior_id: SeniorId, user: Reader, gateway: GatewayDep) -> Senior:
    return expect("routing", Senior, _call(gateway, user, "get_senior", senior_id))


@router.post("/seniors/{senior_id}/pauses", response_model=Senior, responses=ERRORS)
def set_pause(senior_id: SeniorId, body: Pause, user: Dispatcher, gateway: GatewayDep) -> Senior:
    """Pause deliveries (a hospital stay) to an end date; deliveries resume by themselves the
    day after. Sending the same start with a later end extends the pause."""
    answer = _call(gateway, user, "set_pause", senior_id, body.model_dump(mode="json"))
    return expect("routing", Senior, answer)


@router.put("/seniors/{senior_id}/families/{username}", response_model=Senior, responses=ERRORS)
def link_family(
    senior_id: SeniorId,
    username: Username,
    body: FamilyLinkIn,
    user: Dispatcher,
    gateway: GatewayDep,
) -> Senior:
    """Link a family account to the senior: it then sees and orders for this senior only."""
    found = gateway.users.get_user(username)
    if found is None or found.role is not Role.FAMILY:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"{username!r} is not a family account of this tenant",
        )
    link = {"username": username, **body.model_dump(mode="json")}
    return expect("routing", Senior, _call(gateway, user, "link_family", senior_id, link))


@router.delete("/seniors/{senior_id}/families/{username}", response_model=Senior, responses=ERRORS)
def unlink_family(
    senior_id: SeniorId, username: Username, user: Dispatcher, gateway: GatewayDep
) -> Senior:
    return expect("routing", Senior, _call(gateway, user, "unlink_family", senior_id, username))


@router.get("/seniors/{senior_id}/history", response_model=list[HistoryEntry], responses=ERRORS)
def senior_history(senior_id: SeniorId, user: Reader, gateway: GatewayDep) -> list[HistoryEntry]:
    """Every change to the senior's profile and meals: who, when, what."""
    return _list(_HISTORY, _call(gateway, user, "senior_history", senior_id))  # type: ignore[no-any-return]


@router.get("/seniors/{senior_id}/export", response_model=SeniorExport, responses=ERRORS)
def export_senior(senior_id: SeniorId, user: Dispatcher, gateway: GatewayDep) -> SeniorExport:
    """Everything held about one senior (RGPD right of access): profile with emergency contacts
    and families, history, orders and marks at the door."""
    return expect("routing", SeniorExport, _call(gateway, user, "export_senior", senior_id))


@router.delete("/seniors/{senior_id}", response_model=SeniorErased, responses=ERRORS)
def erase_senior(senior_id: SeniorId, user: Dispatcher, gateway: GatewayDep) -> SeniorErased:
    """RGPD erasure: profile, contacts, families, door notes, address, history and orders go;
    a meal already delivered stays only as an anonymous count on the kitchen sheet."""
    return expect("routing", SeniorErased, _call(gateway, user, "erase_senior", senior_id))


# -- menus, settings, orders ----------------------------------------------------------------------
@router.put("/menus", response_model=WeeklyMenu, responses=ERRORS)
def publish_menu(body: WeeklyMenu, user: Dispatcher, gateway: GatewayDep) -> WeeklyMenu:
    """The kitchen's menu of a week: choices per day, each tagged with the diets it suits, the
    textures it comes in and its allergens."""
    answer = _call(gateway, user, "publish_menu", body.model_dump(mode="json"))
    return expect("routing", WeeklyMenu, answer)


@router.get("/menus", response_model=WeeklyMenu, responses=ERRORS)
def get_menu(
    user: Reader,
    gateway: GatewayDep,
    week: Annotated[
        IsoDate | None, Query(description="any day of the week; default: today")
    ] = None,
) -> WeeklyMenu:
    day = _today() if week is None else week
    return expect("routing", WeeklyMenu, _call(gateway, user, "get_menu", day.isoformat()))


@router.get("/meals/settings", response_model=MealSettings, responses=ERRORS)
def get_meal_settings(user: Dispatcher, gateway: GatewayDep) -> MealSettings:
    return expect("routing", MealSettings, _call(gateway, user, "get_meal_settings"))


@router.put("/meals/settings", response_model=MealSettings, responses=ERRORS)
def set_meal_settings(body: MealSettings, user: Dispatcher, gateway: GatewayDep) -> MealSettings:
    """The tenant's cutoffs (hours before the delivery day; over a weekend) and window."""
    answer = _call(gateway, user, "set_meal_settings", body.model_dump(mode="json"))
    return expect("routing", MealSettings, answer)


@router.put("/seniors/{senior_id}/orders/{day}", response_model=Order, responses=ERRORS)
def place_order(
    senior_id: SeniorId,
    day: dt.date,
    body: OrderChoice,
    user: Orderer,
    gateway: GatewayDep,
) -> Order:
    """Order (or change) the day's meal: `{"choice_id": ...}`. Refused with the reason and
    nothing saved: after the cutoff, a paused day, an unknown choice, a dish against the
    senior's diet, texture or allergies."""
    wanted = OrderIn(day=day, choice_id=body.choice_id)
    answer = _call(gateway, user, "place_order", senior_id, wanted.model_dump(mode="json"))
    return expect("routing", Order, answer)


@router.delete("/seniors/{senior_id}/orders/{day}", response_model=Order, responses=ERRORS)
def cancel_order(senior_id: SeniorId, day: dt.date, user: Orderer, gateway: GatewayDep) -> Order:
    """Cancel the day's meal, until the cutoff."""
    answer = _call(gateway, user, "cancel_order", senior_id, day.isoformat())
    return expect("routing", Order, answer)


@router.get("/seniors/{senior_id}/orders", response_model=list[Order], responses=ERRORS)
def senior_orders(
    senior_id: SeniorId,
    user: Reader,
    gateway: GatewayDep,
    week: Annotated[
        IsoDate | None, Query(description="any day of the week; default: today")
    ] = None,
) -> list[Order]:
    """The week's orders; each says whether it can still change (`editable`) and why not."""
    day = _today() if week is None else week
    answer = _call(gateway, user, "senior_orders", senior_id, day.isoformat())
    return _list(_ORDERS, answer)  # type: ignore[no-any-return]


# -- the day ------------------------------------------------------------------------------------
@router.post("/meals/day", response_model=RoundPlan, status_code=status.HTTP_201_CREATED,
             responses=ERRORS)  # fmt: skip
async def plan_meal_day(body: DayPlanRequest, user: Dispatcher, gateway: GatewayDep) -> RoundPlan:
    """One click: the day's orders become deliveries and are planned on the vehicles given.
    Unplaceable deliveries are `unserved`, naming the senior; orders left out (paused since,
    already delivered) are in `skipped` with the reason. Again: a new plan replaces it.
    Solved on the gateway's solve pool: the rest of the API answers meanwhile."""
    return await solve(
        gateway, user, "plan_meal_day", body.time_limit_s, body.model_dump(mode="json"),
        if_lost="the day's plan may still be made: look at GET /meals/day before planning again",
    )  # fmt: skip


@router.get("/meals/day", response_model=RoundPlan, responses=ERRORS)
def get_meal_day(
    user: Dispatcher,
    gateway: GatewayDep,
    date: Annotated[IsoDate | None, Query(description="default: today")] = None,
) -> RoundPlan:
    """The day's current meal plan (the last one planned); 404 when none is."""
    day = _today() if date is None else date
    return expect("routing", RoundPlan, _call(gateway, user, "get_meal_day", day.isoformat()))


@router.get("/meals/kitchen-sheet", response_model=KitchenSheet, responses=ERRORS)
def kitchen_sheet(
    user: Dispatcher,
    gateway: GatewayDep,
    date: Annotated[IsoDate | None, Query(description="default: today")] = None,
) -> KitchenSheet:
    """Counts by meal, diet and texture, per round of the day's plan (and those not on one)."""
    day = _today() if date is None else date
    return expect(
        "routing", KitchenSheet, _call(gateway, user, "get_kitchen_sheet", day.isoformat())
    )


# -- the driver ---------------------------------------------------------------------------------
@router.get("/meal-rounds/{round_id}/{vehicle_id}", response_model=DriverRound, responses=ERRORS)
def driver_round(
    round_id: RoundId, vehicle_id: VehicleId, user: Driver, gateway: GatewayDep
) -> DriverRound:
    """The vehicle's stops (door notes, the meal), marks, ETAs, and the next stop. A driver
    reaches only the vehicle they drive."""
    answer = _call(gateway, user, "driver_round", round_id, vehicle_id)
    return expect("routing", DriverRound, answer)


@router.post("/meal-rounds/{round_id}/{vehicle_id}/start", response_model=DriverRound,
             responses=ERRORS)  # fmt: skip
def start_round(
    round_id: RoundId, vehicle_id: VehicleId, user: Driver, gateway: GatewayDep
) -> DriverRound:
    answer = _call(gateway, user, "start_round", round_id, vehicle_id)
    return expect("routing", DriverRound, answer)


@router.post("/meal-rounds/{round_id}/positions", response_model=PositionAccepted,
             responses=ERRORS)  # fmt: skip
def record_position(
    round_id: RoundId,
    body: Position,
    user: Annotated[CurrentUser, require_roles(Role.DRIVER)],
    gateway: GatewayDep,
) -> PositionAccepted:
    """The phone's position while the round runs (queued ones may arrive late: a position older
    than the last is kept out). Only from the vehicle's own driver: anyone else gets 404."""
    answer = _call(gateway, user, "record_position", round_id, body.model_dump(mode="json"))
    return expect("routing", PositionAccepted, answer)


@router.post("/meal-deliveries/{delivery_id}/mark", response_model=DriverRound, responses=ERRORS)
def mark_delivery(
    delivery_id: DeliveryId, body: DeliveryMark, user: Driver, gateway: GatewayDep
) -> DriverRound:
    """*livré* (`delivered`), *absent* or *refusé* (`refused`), once: a second mark is 409 and
    changes nothing. Absent opens the welfare check (alerts service)."""
    answer = _call(gateway, user, "mark_delivery", delivery_id, body.model_dump(mode="json"))
    return expect("routing", DriverRound, answer)


# -- the family ---------------------------------------------------------------------------------
@router.get("/seniors/{senior_id}/tracking", response_model=FamilyTracking, responses=ERRORS)
def track_delivery(
    senior_id: SeniorId,
    user: Reader,
    gateway: GatewayDep,
    date: Annotated[IsoDate | None, Query(description="default: today")] = None,
) -> FamilyTracking:
    """*n arrêts avant le vôtre*, the ETA, and the vehicle once it heads to this senior."""
    day = _today() if date is None else date
    answer = _call(gateway, user, "track_delivery", senior_id, day.isoformat())
    return expect("routing", FamilyTracking, answer)


def _tracking_frame(tracking: FamilyTracking) -> Frame:
    final = tracking.status in ("delivered", "absent", "refused")
    return Frame(sse_event("tracking", tracking.model_dump_json()), done=final)


@router.get(
    "/seniors/{senior_id}/tracking/live",
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
    response_class=StreamingResponse,
)
def track_delivery_live(
    senior_id: SeniorId,
    request: Request,
    user: Annotated[
        CurrentUser,
        require_roles_or_query_token(Role.DISPATCHER, Role.ADMIN, Role.FAMILY, Role.MAYOR),
    ],
    gateway: GatewayDep,
    date: Annotated[IsoDate | None, Query(description="default: today")] = None,
) -> StreamingResponse:
    """Server-Sent Events: `tracking` (data: FamilyTracking) whenever it changes, until the meal
    is delivered (or the door not answered). Same auth as the campaign stream (live.py)."""
    day = (_today() if date is None else date).isoformat()

    def fetch() -> FamilyTracking:
        return expect(
            "routing", FamilyTracking, _call(gateway, user, "track_delivery", senior_id, day)
        )

    # Woken by routing's events about this senior; subscribed before the first read so that no
    # ETA published in between is missed. routing still decides, per fetch, what this caller sees.
    wake = gateway.hub.subscribe([senior_key(gateway.settings.tenant, senior_id)])
    try:
        first = fetch()  # a senior you do not reach is 404 here, before the stream starts
    except BaseException:
        wake.close()
        raise
    return sse_response(request, fetch, first, _tracking_frame, poll_s=LIVE_POLL_S, wake=wake)
