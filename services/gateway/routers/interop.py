"""The search routes of the French carpool interoperability standard (standard-covoiturage,
`../shared/data/carpool/standard-covoiturage_openapi.yaml`), so that regional journey planners
find our rides: `GET /driver_journeys` and `GET /passenger_journeys`, parameters and answers as
the standard spells them; a bad parameter is a 400 with `{"error": ...}`, as it specifies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from contracts.users import Role
from services.common.events import describe_validation_error
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep
from services.gateway.rpc import ServiceFailed
from services.gateway.state import Gateway

OPERATOR_ENV = "BOCAGE_CARPOOL_OPERATOR"
LAST_EPOCH = 4_102_444_800  # 2100-01-01: the carpool service refuses later dates too
DEFAULT_OPERATOR = "bocage.local"


class StandardErrors(APIRoute):
    """Bad parameters answer 400 `{"error": "..."}` (the standard's BadRequest), not 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                problems = describe_validation_error(error.errors(), skip=1)
                return JSONResponse({"error": problems}, status_code=400)

        return handle


router = APIRouter(tags=["carpool interoperability"], route_class=StandardErrors)
Partner = Annotated[
    CurrentUser, require_roles(Role.PARTNER, Role.RESIDENT, Role.DISPATCHER, Role.ADMIN)
]
Lat = Annotated[float, Query(ge=-90, le=90)]
Lng = Annotated[float, Query(ge=-180, le=180)]
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Bad Request. See error message.",
        "content": {"application/json": {"schema": {
            "type": "object", "properties": {"error": {"type": "string"}}}}},
    },
    401: {"description": "Unauthorized. You must authenticate."},
}  # fmt: skip


def journey_query(  # the parameters keep the standard's camelCase names
    departureLat: Lat,
    departureLng: Lng,
    arrivalLat: Lat,
    arrivalLng: Lng,
    departureDate: Annotated[
        int, Query(ge=0, le=LAST_EPOCH, description="UNIX UTC timestamp (s), before 2100")
    ],
    timeDelta: Annotated[int, Query(ge=0, le=86_400)] = 900,
    departureRadius: Annotated[float, Query(gt=0, le=5)] = 1.0,
    arrivalRadius: Annotated[float, Query(gt=0, le=5)] = 1.0,
    count: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """The search parameters both journey routes share, as the carpool service's query."""
    return {
        "departure": [departureLat, departureLng],
        "arrival": [arrivalLat, arrivalLng],
        "departure_epoch": departureDate,
        "time_delta_s": timeDelta,
        "departure_radius_m": departureRadius * 1000,
        "arrival_radius_m": arrivalRadius * 1000,
        "count": count,
    }


JourneyQuery = Annotated[dict[str, Any], Depends(journey_query)]


def _search(gateway: Gateway, user: CurrentUser, method: str, query: dict[str, Any]) -> Any:
    operator = os.environ.get(OPERATOR_ENV, DEFAULT_OPERATOR)
    caller = user.caller.model_dump(mode="json")
    try:
        answer = gateway.rpc.call(
            "carpool", method, gateway.settings.tenant, caller, query, operator,
            timeout_s=max(gateway.rpc.timeout_s, 20.0),
        )  # fmt: skip
    except ServiceFailed as error:
        if error.exc_type == "InvalidMessage":
            return JSONResponse({"error": error.message}, status_code=400)
        raise
    return JSONResponse(answer, status_code=status.HTTP_200_OK)


@router.get("/driver_journeys", responses=RESPONSES, response_class=JSONResponse)
def driver_journeys(user: Partner, gateway: GatewayDep, query: JourneyQuery) -> Any:
    """Our planned rides a passenger can join from departure to arrival (DriverJourney)."""
    return _search(gateway, user, "driver_journeys", query)


@router.get("/passenger_journeys", responses=RESPONSES, response_class=JSONResponse)
def passenger_journeys(user: Partner, gateway: GatewayDep, query: JourneyQuery) -> Any:
    """Our passengers still looking for a ride along that route (standard's PassengerJourney)."""
    return _search(gateway, user, "passenger_journeys", query)
