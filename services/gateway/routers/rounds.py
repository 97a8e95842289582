"""Meal and waste rounds over HTTP: dispatchers plan, view and re-plan; drivers get theirs.

The routing service owns the rounds and the containers; these routes check roles, pass the
contract through and read the answer back as the contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Path, Query, Response, status
from pydantic import TypeAdapter

from contracts.lax_input import IsoDate
from contracts.rounds import (
    CLOCK_PATTERN,
    ContainerDetail,
    ContainerForecasts,
    ContainerIn,
    ContainerOut,
    ContainerPatch,
    ContainersRegistered,
    FillReading,
    ForecastRequest,
    MealRoundRequest,
    ReadingOutcome,
    ReplanRequest,
    RoundPlan,
    WasteRoundRequest,
)
from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep
from services.gateway.rpc import ServiceFailed, expect
from services.gateway.solves import AFTER_A_LOST_REPLAN, solve
from services.gateway.state import Gateway

router = APIRouter(tags=["rounds"])
Planner = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)]
RoundId = Annotated[str, Path(min_length=1, max_length=128)]
ContainerId = Annotated[str, Path(min_length=1, max_length=64)]
PARIS = ZoneInfo("Europe/Paris")
_PLANS = TypeAdapter(list[RoundPlan])
_CONTAINERS = TypeAdapter(list[ContainerOut])

ERRORS: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "no road graph is loaded, another re-plan of this round won, or the "
        "client_key was already used for another plan or replan request"
    },
    422: {"description": "the request is invalid, or a point is off the road graph (named)"},
    503: {"description": "the routing service is unreachable or did not answer in time"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such round"}}
NO_CONTAINER: dict[int | str, dict[str, Any]] = {404: {"description": "no such container"}}


def _call(gateway: Gateway, user: CurrentUser, method: str, *args: Any, **kw: Any) -> Any:
    """Routing decides what the caller reaches: the tenant, then who asks, on every call."""
    caller = user.caller.model_dump(mode="json")
    return gateway.rpc.call("routing", method, gateway.settings.tenant, caller, *args, **kw)


def _plans(
    gateway: Gateway, user: CurrentUser, day: dt.date, driver: str | None
) -> list[RoundPlan]:
    answer = _call(gateway, user, "rounds_of_day", day.isoformat(), driver)
    try:
        return _PLANS.validate_python(answer)
    except ValueError as error:
        raise ServiceFailed("routing", "UnexpectedAnswer", str(error)) from None


@router.post(
    "/rounds/meals",
    response_model=RoundPlan,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
async def plan_meal_round(body: MealRoundRequest, user: Planner, gateway: GatewayDep) -> RoundPlan:
    """Plan the day's meal rounds. Deliveries that cannot be served are listed, with why (one
    too far from any road: `not_on_road_network`, with its distance); the rest is planned.
    Solved on the gateway's solve pool: the rest of the API answers meanwhile."""
    return await solve(
        gateway, user, "plan_meal_round", body.time_limit_s, body.model_dump(mode="json")
    )


@router.post(
    "/rounds/waste",
    response_model=RoundPlan,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
async def plan_waste_round(
    body: WasteRoundRequest, user: Planner, gateway: GatewayDep
) -> RoundPlan:
    """Plan the trucks' trips from the containers' forecast fill; lists the skipped ones, and
    the unserved with why (`not_on_road_network`, `unreachable`...); retired ones are left out."""
    return await solve(
        gateway, user, "plan_waste_round", body.time_limit_s, body.model_dump(mode="json")
    )


@router.get("/rounds", response_model=list[RoundPlan], responses=ERRORS)
def rounds_of_day(
    date: Annotated[IsoDate, Query(description="the day, YYYY-MM-DD")],
    user: Planner,
    gateway: GatewayDep,
    driver: Annotated[str | None, Query(max_length=64, description="only this driver's")] = None,
) -> list[RoundPlan]:
    return _plans(gateway, user, date, driver)


@router.get("/rounds/{round_id}", response_model=RoundPlan, responses={**ERRORS, **NOT_FOUND})
def get_round(round_id: RoundId, user: Planner, gateway: GatewayDep) -> RoundPlan:
    return expect("routing", RoundPlan, _call(gateway, user, "get_round", round_id))


@router.post(
    "/rounds/{round_id}/replan", response_model=RoundPlan, responses={**ERRORS, **NOT_FOUND}
)
async def replan_round(
    round_id: RoundId, body: ReplanRequest, user: Planner, gateway: GatewayDep
) -> RoundPlan:
    """A new version from where the vehicle is: done stops stay first; `changed` lists moves."""
    return await solve(
        gateway, user, "replan_round", body.time_limit_s, round_id, body.model_dump(mode="json"),
        if_lost=AFTER_A_LOST_REPLAN,
    )  # fmt: skip


@router.post(
    "/containers",
    response_model=ContainersRegistered,
    responses={
        **ERRORS,
        422: {"description": "the body is invalid, or no container could be placed on a road"},
    },
)
def register_containers(
    body: Annotated[list[ContainerIn], Body(max_length=5000)], user: Planner, gateway: GatewayDep
) -> ContainersRegistered:
    """Register (or replace) connected containers, answering per container. One farther than
    500 m from any road is refused with its distance and the nearest road's name: send it again
    with corrected coordinates, or with `accept_nearest_road: true` to place it on that road."""
    containers = [container.model_dump(mode="json") for container in body]
    answer = _call(gateway, user, "register_containers", containers)
    return expect("routing", ContainersRegistered, answer)


@router.get("/containers", response_model=list[ContainerOut], responses=ERRORS)
def list_containers(user: Planner, gateway: GatewayDep) -> list[ContainerOut]:
    """Every registered container, retired ones included (`retired: true`)."""
    try:
        return _CONTAINERS.validate_python(_call(gateway, user, "list_containers"))
    except ValueError as error:
        raise ServiceFailed("routing", "UnexpectedAnswer", str(error)) from None


@router.get("/container-forecasts", response_model=ContainerForecasts, responses=ERRORS)
def container_forecasts(
    user: Planner,
    gateway: GatewayDep,
    date: Annotated[
        IsoDate | None, Query(description="the collection's day; default: today")
    ] = None,
    collection_time: Annotated[
        str, Query(pattern=CLOCK_PATTERN, description="HH:MM, Europe/Paris")
    ] = "07:00",
    threshold_pct: Annotated[float, Query(gt=0, le=100)] = 80,
    optional_from_pct: Annotated[float, Query(ge=0, le=100)] = 50,
) -> ContainerForecasts:
    """Every container in service, fullest first: its last reading, its forecast fill at the
    collection time (the model the waste rounds plan from), its fill rate, when it reaches the
    threshold, and whether to collect it (`collect`, `optional`, `skip`)."""
    day = dt.datetime.now(PARIS).date() if date is None else date
    at = dt.datetime.combine(day, dt.time.fromisoformat(collection_time), tzinfo=PARIS)
    wanted = ForecastRequest(
        at=at, threshold_pct=threshold_pct, optional_from_pct=optional_from_pct
    )
    answer = _call(gateway, user, "container_forecasts", wanted.model_dump(mode="json"))
    return expect("routing", ContainerForecasts, answer)


@router.get(
    "/containers/{container_id}",
    response_model=ContainerDetail,
    responses={**ERRORS, **NO_CONTAINER},
)
def get_container(container_id: ContainerId, user: Planner, gateway: GatewayDep) -> ContainerDetail:
    """The container and its fill readings still kept (`ROUTING_READINGS_RETENTION_DAYS`)."""
    return expect("routing", ContainerDetail, _call(gateway, user, "get_container", container_id))


@router.patch(
    "/containers/{container_id}",
    response_model=ContainerOut,
    responses={**ERRORS, **NO_CONTAINER},
)
def update_container(
    container_id: ContainerId, body: ContainerPatch, user: Planner, gateway: GatewayDep
) -> ContainerOut:
    """Move (checked on the road graph, as at registration), rename, resize, retire
    (`retired: true`: kept with its readings, never planned) or bring back a container."""
    patch = body.model_dump(mode="json", exclude_unset=True)
    answer = _call(gateway, user, "update_container", container_id, patch)
    return expect("routing", ContainerOut, answer)


@router.delete(
    "/containers/{container_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**ERRORS, **NO_CONTAINER},
)
def delete_container(container_id: ContainerId, user: Planner, gateway: GatewayDep) -> Response:
    """Forget a container; its readings are kept for the retention period, then expire."""
    _call(gateway, user, "delete_container", container_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/containers/readings", response_model=ReadingOutcome, responses=ERRORS)
def record_reading(body: FillReading, user: Planner, gateway: GatewayDep) -> ReadingOutcome:
    """A sensor's fill reading; the same `reading_id` again answers `duplicate`, stored once."""
    answer = _call(gateway, user, "record_reading", body.model_dump(mode="json"))
    return expect("routing", ReadingOutcome, answer)


@router.get("/me/round", response_model=list[RoundPlan], responses=ERRORS)
def my_round(
    user: Annotated[CurrentUser, require_roles(Role.DRIVER)],
    gateway: GatewayDep,
    date: Annotated[IsoDate | None, Query(description="default: today in Europe/Paris")] = None,
) -> list[RoundPlan]:
    """The logged-in driver's rounds of the day: only the vehicles they drive."""
    day = dt.datetime.now(PARIS).date() if date is None else date
    return _plans(gateway, user, day, None)
