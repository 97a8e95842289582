"""Meal and waste rounds over HTTP: dispatchers plan, view and re-plan; drivers get theirs.

The routing service owns the rounds and the containers; these routes check roles, pass the
contract through and read the answer back as the contract.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import TypeAdapter

from contracts.lax_input import IsoDate
from contracts.rounds import (
    ContainerIn,
    FillReading,
    MealRoundRequest,
    ReadingOutcome,
    ReplanRequest,
    RoundPlan,
    WasteRoundRequest,
)
from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.rpc import ServiceFailed, expect
from services.gateway.state import Gateway, get_gateway

router = APIRouter(tags=["rounds"])
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
Planner = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)]
RoundId = Annotated[str, Path(min_length=1, max_length=128)]
PARIS = ZoneInfo("Europe/Paris")
# A solve runs for its own time limit; this covers the matrix, the geometry and the queue.
SOLVE_SLACK_S = 30.0
_PLANS = TypeAdapter(list[RoundPlan])

ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "no road graph is loaded, or another re-plan of this round won"},
    422: {"description": "the request is invalid, or a point is off the road graph (named)"},
    503: {"description": "the routing service is unreachable or did not answer in time"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such round"}}


def _solve(gateway: Gateway, method: str, time_limit_s: float, *args: Any) -> RoundPlan:
    # Whole tens of seconds, so that the RPC pool sees few distinct timeouts.
    timeout = max(gateway.rpc.timeout_s, 10.0 * math.ceil((time_limit_s + SOLVE_SLACK_S) / 10))
    answer = gateway.rpc.call("routing", method, gateway.settings.tenant, *args, timeout_s=timeout)
    return expect("routing", RoundPlan, answer)


def _plans(gateway: Gateway, day: dt.date, driver: str | None) -> list[RoundPlan]:
    answer = gateway.rpc.call(
        "routing", "rounds_of_day", gateway.settings.tenant, day.isoformat(), driver
    )
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
def plan_meal_round(body: MealRoundRequest, user: Planner, gateway: GatewayDep) -> RoundPlan:
    """Plan the day's meal rounds; the plan says which deliveries could not be served and why."""
    return _solve(gateway, "plan_meal_round", body.time_limit_s, body.model_dump(mode="json"))


@router.post(
    "/rounds/waste",
    response_model=RoundPlan,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def plan_waste_round(body: WasteRoundRequest, user: Planner, gateway: GatewayDep) -> RoundPlan:
    """Plan the trucks' trips from the containers' forecast fill; lists the skipped ones."""
    return _solve(gateway, "plan_waste_round", body.time_limit_s, body.model_dump(mode="json"))


@router.get("/rounds", response_model=list[RoundPlan], responses=ERRORS)
def rounds_of_day(
    date: Annotated[IsoDate, Query(description="the day, YYYY-MM-DD")],
    user: Planner,
    gateway: GatewayDep,
    driver: Annotated[str | None, Query(max_length=64, description="only this driver's")] = None,
) -> list[RoundPlan]:
    return _plans(gateway, date, driver)


@router.get("/rounds/{round_id}", response_model=RoundPlan, responses={**ERRORS, **NOT_FOUND})
def get_round(round_id: RoundId, user: Planner, gateway: GatewayDep) -> RoundPlan:
    answer = gateway.rpc.call("routing", "get_round", gateway.settings.tenant, round_id)
    return expect("routing", RoundPlan, answer)


@router.post(
    "/rounds/{round_id}/replan", response_model=RoundPlan, responses={**ERRORS, **NOT_FOUND}
)
def replan_round(
    round_id: RoundId, body: ReplanRequest, user: Planner, gateway: GatewayDep
) -> RoundPlan:
    """A new version from where the vehicle is: done stops stay first; `changed` lists moves."""
    return _solve(
        gateway, "replan_round", body.time_limit_s, round_id, body.model_dump(mode="json")
    )


@router.post("/containers", responses=ERRORS)
def register_containers(
    body: list[ContainerIn], user: Planner, gateway: GatewayDep
) -> dict[str, int]:
    """Register (or update) connected containers; answers how many were registered."""
    containers = [container.model_dump(mode="json") for container in body]
    answer = gateway.rpc.call("routing", "register_containers", gateway.settings.tenant, containers)
    return {"registered": int(answer["registered"])}


@router.post("/containers/readings", response_model=ReadingOutcome, responses=ERRORS)
def record_reading(body: FillReading, user: Planner, gateway: GatewayDep) -> ReadingOutcome:
    """A sensor's fill reading; the same `reading_id` again answers `duplicate`, stored once."""
    answer = gateway.rpc.call(
        "routing", "record_reading", gateway.settings.tenant, body.model_dump(mode="json")
    )
    return expect("routing", ReadingOutcome, answer)


@router.get("/me/round", response_model=list[RoundPlan], responses=ERRORS)
def my_round(
    user: Annotated[CurrentUser, require_roles(Role.DRIVER)],
    gateway: GatewayDep,
    date: Annotated[IsoDate | None, Query(description="default: today in Europe/Paris")] = None,
) -> list[RoundPlan]:
    """The logged-in driver's rounds of the day: only the vehicles they drive."""
    day = dt.datetime.now(PARIS).date() if date is None else date
    return _plans(gateway, day, user.user.username)
