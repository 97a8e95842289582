"""The interoperability searches over our rides and requests (see `interop.py` for the shapes)."""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from services.carpool.interop import (
    MAX_RADIUS_M,
    JourneyQuery,
    driver_journey,
    passenger_journey,
    request_window_s,
)
from services.carpool.matcher import MatrixFn, search
from services.carpool.matching.insertion import INF
from services.carpool.matching.rectangles import TimesFn
from services.carpool.matching.search import AskState
from services.carpool.places import metres
from services.carpool.ride_index import RideIndex
from services.carpool.rides import as_match, split_key
from services.carpool.store import CarpoolStore
from services.common.events import InvalidMessage, describe_validation_error

DEFAULT_COUNT = 50
LAST_EPOCH = 4_102_444_800  # 2100-01-01: beyond it a date is a mistake, not a ride


def query_of(raw: dict[str, Any]) -> JourneyQuery:
    try:
        query = JourneyQuery(
            departure=(float(raw["departure"][0]), float(raw["departure"][1])),
            arrival=(float(raw["arrival"][0]), float(raw["arrival"][1])),
            departure_epoch=int(raw["departure_epoch"]),
            time_delta_s=int(raw.get("time_delta_s", 900)),
            departure_radius_m=float(raw.get("departure_radius_m", 1000.0)),
            arrival_radius_m=float(raw.get("arrival_radius_m", 1000.0)),
            count=None if raw.get("count") is None else int(raw["count"]),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        detail = describe_validation_error(error) if isinstance(error, ValidationError) else error
        raise InvalidMessage(f"bad journey query: {detail}") from None
    if not 0 <= query.departure_epoch <= LAST_EPOCH:
        raise InvalidMessage(
            f"bad journey query: departureDate {query.departure_epoch} is not a UNIX time "
            "before 2100"
        )
    return query


def driver_journeys(
    store: CarpoolStore,
    tenant: str,
    query: JourneyQuery,
    matrix_of: MatrixFn,
    operator: str,
    index: RideIndex | None = None,
    times_of: TimesFn | None = None,
) -> list[dict[str, Any]]:
    after, before = query.window_s()
    ask = AskState(
        origin=query.departure,
        destination=query.arrival,
        depart_after=after,
        depart_before=before,
        max_walk_m=min(max(query.departure_radius_m, query.arrival_radius_m), MAX_RADIUS_M),
        ref="interop",
    )
    limit = query.count if query.count is not None else DEFAULT_COUNT
    day = query.day.isoformat()
    found = search(
        store, tenant, ask, day, matrix_of, limit=limit, index=index, times_of=times_of
    ).found
    offers = store.offers(tenant, (split_key(f.ride.key)[0] for f in found))
    journeys = []
    for item in found:
        match = as_match(item)
        # The standard's radii are per end: a drop-off farther than asked is not offered.
        if match.pickup.walk_m > query.departure_radius_m:
            continue
        if match.dropoff.walk_m > query.arrival_radius_m:
            continue
        journeys.append(driver_journey(match, offers[match.offer_id], operator))
    return journeys


def passenger_journeys(
    store: CarpoolStore, tenant: str, query: JourneyQuery, matrix_of: MatrixFn, operator: str
) -> list[dict[str, Any]]:
    after, before = query.window_s()
    wanted = []
    for request in store.requests_of_day(tenant, query.day.isoformat()):
        if store.active_booking_of(tenant, request.request_id) is not None:
            continue  # already riding with someone
        r = request.request
        if metres(r.origin, query.departure) > query.departure_radius_m:
            continue
        if metres(r.destination, query.arrival) > query.arrival_radius_m:
            continue
        start, end = request_window_s(request)
        if end < after or start > before:
            continue
        wanted.append(request)
    if query.count is not None:
        wanted = wanted[: query.count]
    if not wanted:
        return []
    points: list[tuple[float, float]] = []
    for request in wanted:
        points += [tuple(request.request.origin), tuple(request.request.destination)]  # type: ignore[list-item]
    matrix = matrix_of(points)
    journeys = []
    for index, request in enumerate(wanted):
        duration = matrix.travel(2 * index, 2 * index + 1)
        distance = matrix.metres(2 * index, 2 * index + 1)
        journeys.append(
            passenger_journey(
                request,
                operator,
                0.0 if duration == INF else duration,
                -1.0 if math.isinf(distance) else distance,
            )
        )
    return journeys
