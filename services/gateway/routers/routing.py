"""Travel times and routes on the road graph, for dispatchers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from contracts.routing import MatrixRequest, RouteRequest, TravelMatrixResult
from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.rpc import expect
from services.gateway.state import Gateway, get_gateway

router = APIRouter(prefix="/routing", tags=["routing"])
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    409: {"description": "no road graph is loaded yet (the message says how to build one)"},
    422: {"description": "a point is invalid or too far from any road (each one is named)"},
    503: {"description": "the routing service is unreachable or did not answer"},
}


@router.post("/matrix", response_model=TravelMatrixResult, responses=UNAVAILABLE)
def travel_matrix(
    body: MatrixRequest,
    user: Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)],
    gateway: GatewayDep,
) -> TravelMatrixResult:
    answer = gateway.rpc.call("routing", "travel_matrix", body.model_dump(mode="json"))
    return expect("routing", TravelMatrixResult, answer)


@router.post("/route", responses=UNAVAILABLE)
def route(
    body: RouteRequest,
    user: Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)],
    gateway: GatewayDep,
) -> dict[str, Any]:
    """A GeoJSON Feature: the LineString of the road path, with duration_s and distance_m."""
    answer: dict[str, Any] = gateway.rpc.call("routing", "route", body.model_dump(mode="json"))
    return answer
