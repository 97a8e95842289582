"""Travel times and routes on the road graph, for dispatchers."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter

from contracts.routing import MatrixRequest, RouteRequest, TravelMatrixResult
from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep
from services.gateway.rpc import expect
from services.gateway.state import Gateway

router = APIRouter(prefix="/routing", tags=["routing"])
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    409: {"description": "no road graph is loaded yet (the message says how to build one)"},
    422: {"description": "a point is invalid or too far from any road (each one is named)"},
    503: {"description": "the routing service is unreachable or did not answer"},
}
# Cells of a matrix computed per second, measured on a busy 2-core machine (2000 points, that is
# 4 million cells, took 50 s), halved for margin: a big matrix is given the time it needs instead
# of a 503 at 5 s while the service goes on computing it.
MATRIX_CELLS_PER_S = 40_000


def matrix_timeout_s(gateway: Gateway, points: int) -> float:
    needed = gateway.rpc.timeout_s + points * points / MATRIX_CELLS_PER_S
    # Whole tens of seconds, so that the RPC pool sees few distinct timeouts.
    return max(gateway.rpc.timeout_s, 10.0 * math.ceil(needed / 10))


@router.post("/matrix", response_model=TravelMatrixResult, responses=UNAVAILABLE)
async def travel_matrix(
    body: MatrixRequest,
    user: Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)],
    gateway: GatewayDep,
) -> TravelMatrixResult:
    # A big matrix takes up to a minute: on the solve pool, as round solves (solves.py).
    answer = await gateway.solves.call_async(
        "routing",
        "travel_matrix",
        body.model_dump(mode="json"),
        timeout_s=matrix_timeout_s(gateway, len(body.points)),
    )
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
