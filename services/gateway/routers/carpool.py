"""Carpool over HTTP: residents offer and search rides and book seats; dispatchers do it for
anyone (a phone call from someone without a smartphone) and import meeting places.

The carpool service owns every object and decides who reaches it from the caller passed on each
call; someone else's offer, request or booking answers 404, like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import TypeAdapter

from contracts.carpool import (
    Booking,
    BookingAnswer,
    BookingIn,
    CarpoolExport,
    CarpoolProfile,
    CarpoolProfileIn,
    Match,
    MyCarpool,
    Offer,
    OfferCreated,
    OfferIn,
    Place,
    PlacesImport,
    PlacesImported,
    RequestAnswer,
    RequestIn,
    RideCancelled,
    RideRequest,
    Trip,
)
from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep
from services.gateway.rpc import ServiceFailed, expect
from services.gateway.state import Gateway

router = APIRouter(prefix="/carpool", tags=["carpool"])
Rider = Annotated[CurrentUser, require_roles(Role.RESIDENT, Role.DISPATCHER, Role.ADMIN)]
Dispatcher = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# A gateway user's name, or `tel:+33…` for someone who carpools by SMS.
Username = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:+-]*$")
]
_MATCHES = TypeAdapter(list[Match])
_PLACES = TypeAdapter(list[Place])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such object, or it is not yours"},
    409: {"description": "the ride is full, cancelled or already answered"},
    422: {"description": "invalid input, or a point off the road graph (named)"},
    503: {"description": "the carpool or routing service is unreachable"},
}


# A search waits on routing's travel-time matrix, and a driver's cancellation re-matches each
# passenger: more than the pool's default, bounded.
CARPOOL_TIMEOUT_S = 20.0


def _call(gateway: Gateway, user: CurrentUser, method: str, *args: Any) -> Any:
    caller = user.caller.model_dump(mode="json")
    timeout = max(gateway.rpc.timeout_s, CARPOOL_TIMEOUT_S)
    return gateway.rpc.call(
        "carpool", method, gateway.settings.tenant, caller, *args, timeout_s=timeout
    )


@router.post(
    "/offers", response_model=OfferCreated, status_code=status.HTTP_201_CREATED, responses=ERRORS
)
def offer_ride(body: OfferIn, user: Rider, gateway: GatewayDep) -> OfferCreated:
    """Offer a ride (one day, or chosen weekdays until a date, with exceptions)."""
    answer = _call(gateway, user, "offer_ride", body.model_dump(mode="json"))
    return expect("carpool", OfferCreated, answer)


@router.get("/offers/{offer_id}", response_model=Offer, responses=ERRORS)
def get_offer(offer_id: Id, user: Rider, gateway: GatewayDep) -> Offer:
    return expect("carpool", Offer, _call(gateway, user, "get_offer", offer_id))


@router.post("/offers/{offer_id}/{day}/cancel", response_model=RideCancelled, responses=ERRORS)
def cancel_ride(offer_id: Id, day: dt.date, user: Rider, gateway: GatewayDep) -> RideCancelled:
    """Cancel one day of a ride: each passenger is re-booked on another ride, or told none fits."""
    answer = _call(gateway, user, "cancel_ride", offer_id, day.isoformat())
    return expect("carpool", RideCancelled, answer)


@router.post("/offers/{offer_id}/{day}/complete", response_model=Trip, responses=ERRORS)
def complete_ride(offer_id: Id, day: dt.date, user: Rider, gateway: GatewayDep) -> Trip:
    """The ride took place: the trip is recorded for the monthly report."""
    answer = _call(gateway, user, "complete_ride", offer_id, day.isoformat())
    return expect("carpool", Trip, answer)


@router.post(
    "/requests",
    response_model=RequestAnswer,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def request_ride(body: RequestIn, user: Rider, gateway: GatewayDep) -> RequestAnswer:
    """Ask for a ride; the answer holds the best matches, each with its reason in French."""
    answer = _call(gateway, user, "request_ride", body.model_dump(mode="json"))
    return expect("carpool", RequestAnswer, answer)


@router.get("/requests/{request_id}", response_model=RideRequest, responses=ERRORS)
def get_request(request_id: Id, user: Rider, gateway: GatewayDep) -> RideRequest:
    return expect("carpool", RideRequest, _call(gateway, user, "get_request", request_id))


@router.get("/requests/{request_id}/matches", response_model=list[Match], responses=ERRORS)
def find_matches(request_id: Id, user: Rider, gateway: GatewayDep) -> list[Match]:
    answer = _call(gateway, user, "find_matches", request_id)
    try:
        return _MATCHES.validate_python(answer)
    except ValueError as error:
        raise ServiceFailed("carpool", "UnexpectedAnswer", str(error)) from None


@router.post(
    "/bookings", response_model=Booking, status_code=status.HTTP_201_CREATED, responses=ERRORS
)
def book_ride(body: BookingIn, user: Rider, gateway: GatewayDep) -> Booking:
    """Book a seat for a request (the driver then accepts or declines)."""
    answer = _call(
        gateway, user, "book_ride", body.request_id, body.offer_id, body.date.isoformat()
    )
    return expect("carpool", Booking, answer)


@router.get("/bookings/{booking_id}", response_model=Booking, responses=ERRORS)
def get_booking(booking_id: Id, user: Rider, gateway: GatewayDep) -> Booking:
    return expect("carpool", Booking, _call(gateway, user, "get_booking", booking_id))


@router.post("/bookings/{booking_id}/answer", response_model=Booking, responses=ERRORS)
def answer_booking(
    booking_id: Id, body: BookingAnswer, user: Rider, gateway: GatewayDep
) -> Booking:
    """The driver accepts or declines a pending booking."""
    answer = _call(gateway, user, "answer_booking", booking_id, body.accept)
    return expect("carpool", Booking, answer)


@router.post("/bookings/{booking_id}/cancel", response_model=Booking, responses=ERRORS)
def cancel_booking(booking_id: Id, user: Rider, gateway: GatewayDep) -> Booking:
    return expect("carpool", Booking, _call(gateway, user, "cancel_booking", booking_id))


@router.get("/me", response_model=MyCarpool, responses=ERRORS)
def my_carpool(user: Rider, gateway: GatewayDep) -> MyCarpool:
    """My offers, requests and bookings."""
    return expect("carpool", MyCarpool, _call(gateway, user, "my_carpool"))


@router.get("/me/profile", response_model=CarpoolProfile, responses=ERRORS)
def my_carpool_profile(user: Rider, gateway: GatewayDep) -> CarpoolProfile:
    """My number for the booking SMS, if I gave one (an SMS carpooler: the one they text from)."""
    return expect("carpool", CarpoolProfile, _call(gateway, user, "get_profile"))


@router.put("/me/profile", response_model=CarpoolProfile, responses=ERRORS)
def set_my_carpool_profile(
    body: CarpoolProfileIn, user: Rider, gateway: GatewayDep
) -> CarpoolProfile:
    """Give a mobile number (E.164, e.g. +33612345678) to get the booking SMS: a seat asked in my
    car, confirmations, cancellations and new plans, each once; null to stop them."""
    answer = _call(gateway, user, "set_profile", body.model_dump(mode="json"))
    return expect("carpool", CarpoolProfile, answer)


@router.get("/me/export", response_model=CarpoolExport, responses=ERRORS)
def export_my_carpool(user: Rider, gateway: GatewayDep) -> CarpoolExport:
    """Everything carpool holds about me (RGPD): offers, requests, bookings, trips, SMS number."""
    return expect("carpool", CarpoolExport, _call(gateway, user, "export_person", None))


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def erase_my_carpool(user: Rider, gateway: GatewayDep) -> None:
    """Erase my carpool data (RGPD): my open bookings are cancelled first (the other party is
    told, passengers re-matched), then my offers, requests and bookings go; trips keep only
    anonymous figures."""
    _call(gateway, user, "erase_person", None)


@router.get("/people/{username}/export", response_model=CarpoolExport, responses=ERRORS)
def export_person(username: Username, user: Rider, gateway: GatewayDep) -> CarpoolExport:
    """A dispatcher exports someone's carpool data on their behalf; a resident only their own
    (anyone else's answers 404)."""
    answer = _call(gateway, user, "export_person", username)
    return expect("carpool", CarpoolExport, answer)


@router.delete("/people/{username}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def erase_person(username: Username, user: Rider, gateway: GatewayDep) -> None:
    """A dispatcher erases someone's carpool data on their behalf (as `DELETE /carpool/me`); a
    resident only their own (anyone else's answers 404)."""
    _call(gateway, user, "erase_person", username)


@router.get("/places", response_model=list[Place], responses=ERRORS)
def list_places(user: Rider, gateway: GatewayDep) -> list[Place]:
    """The territory's meeting points."""
    answer = gateway.rpc.call("carpool", "list_places", gateway.settings.tenant)
    try:
        return _PLACES.validate_python(answer)
    except ValueError as error:
        raise ServiceFailed("carpool", "UnexpectedAnswer", str(error)) from None


@router.post("/places/import", response_model=PlacesImported, responses=ERRORS)
def import_places(body: PlacesImport, user: Dispatcher, gateway: GatewayDep) -> PlacesImported:
    """Meeting places from the national base's CSV (kept: the tenant's communes, or within
    `within_m` of an anchor) or from a `name,lat,lon` list."""
    communes = [c.code for c in gateway.users.get_tenant().communes]
    anchors = [list(a) for a in body.anchors]
    answer = _call(
        gateway, user, "import_places", body.text, body.kind, communes, anchors, body.within_m
    )
    return expect("carpool", PlacesImported, answer)


@router.get(
    "/trips.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **ERRORS},
)
def trips_csv(
    user: Dispatcher,
    gateway: GatewayDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    commune: Annotated[
        str | None, Query(pattern=r"^[0-9][0-9AB][0-9]{3}$", description="INSEE code")
    ] = None,
) -> Response:
    """The month's completed trips with passenger-km and the CO₂ saving estimate; with
    `commune`, the trips that start or end in it (for the commune's mobility report)."""
    text = _call(gateway, user, "trips_csv", month, commune)
    return Response(
        str(text),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="covoiturage-{month}.csv"'},
    )
