"""The French carpool interoperability standard's search routes (`GET /driver_journeys`,
`GET /passenger_journeys`, standard-covoiturage OpenAPI 0.0.1): the query, and our rides and
requests in its shapes. Pure.

Ids of people are opaque (a hash of the username), and only first names are shown, so a
journey planner can list our rides without learning who our residents are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from contracts.carpool import Match, Offer, RideRequest
from services.carpool.clock import PARIS, seconds

MAX_RADIUS_M = 5000.0


@dataclass(frozen=True)
class JourneyQuery:
    departure: tuple[float, float]
    arrival: tuple[float, float]
    departure_epoch: int
    time_delta_s: int = 900
    departure_radius_m: float = 1000.0
    arrival_radius_m: float = 1000.0
    count: int | None = None

    @property
    def day(self) -> dt.date:
        return self.local().date()

    def local(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.departure_epoch, PARIS)

    def window_s(self) -> tuple[float, float]:
        """The searched window, in seconds since local midnight of `day`, clipped to that day."""
        start = self.local()
        midnight = dt.datetime.combine(start.date(), dt.time(0), tzinfo=PARIS)
        at = (start - midnight).total_seconds()
        return max(at - self.time_delta_s, 0.0), min(at + self.time_delta_s, 86_399.0)


def epoch_of(day: dt.date, seconds_of_day: float) -> int:
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    return int((midnight + dt.timedelta(seconds=seconds_of_day)).timestamp())


def opaque(username: str) -> str:
    return hashlib.sha256(username.encode()).hexdigest()[:16]


def _clock_s(clock: str) -> float:
    return seconds(clock, 0.0)


def driver_journey(match: Match, offer: Offer, operator: str) -> dict[str, Any]:
    pickup_s, drop_s = _clock_s(match.pickup.time), _clock_s(match.dropoff.time)
    o = offer.offer
    journey: dict[str, Any] = {
        "id": f"{match.offer_id}@{match.date.isoformat()}",
        "operator": operator,
        "type": "PLANNED",
        "driver": {
            "id": opaque(offer.driver),
            "operator": operator,
            "alias": o.first_name or "Conducteur",
        },
        "passengerPickupLat": match.pickup.location[0],
        "passengerPickupLng": match.pickup.location[1],
        "passengerDropLat": match.dropoff.location[0],
        "passengerDropLng": match.dropoff.location[1],
        "passengerPickupAddress": match.pickup.label,
        "passengerDropAddress": match.dropoff.label,
        "passengerPickupDate": epoch_of(match.date, pickup_s),
        "driverDepartureDate": epoch_of(match.date, _clock_s(o.depart_earliest)),
        "driverDepartureLat": o.origin[0],
        "driverDepartureLng": o.origin[1],
        "driverArrivalLat": o.destination[0],
        "driverArrivalLng": o.destination[1],
        "duration": int(max(drop_s - pickup_s, 0)),
        "departureToPickupWalkingDistance": int(match.pickup.walk_m),
        "dropoffToArrivalWalkingDistance": int(match.dropoff.walk_m),
        "availableSeats": match.seats_left,
        "price": {"type": "FREE"},
    }
    if match.ride_m is not None:
        journey["distance"] = int(match.ride_m)
    if o.first_name:
        journey["driver"]["firstName"] = o.first_name
    if o.origin_label:
        journey["driverDepartureAddress"] = o.origin_label
    if o.destination_label:
        journey["driverArrivalAddress"] = o.destination_label
    return journey


def passenger_journey(
    request: RideRequest, operator: str, duration_s: float, distance_m: float
) -> dict[str, Any]:
    r = request.request
    after = _clock_s(r.depart_after) if r.depart_after else None
    if after is None:
        after = max(_clock_s(r.arrive_by or "00:00") - duration_s, 0.0)
    journey: dict[str, Any] = {
        "id": request.request_id,
        "operator": operator,
        "type": "PLANNED",
        "passenger": {
            "id": opaque(request.passenger),
            "operator": operator,
            "alias": r.first_name or "Passager",
        },
        "passengerPickupLat": r.origin[0],
        "passengerPickupLng": r.origin[1],
        "passengerDropLat": r.destination[0],
        "passengerDropLng": r.destination[1],
        "passengerPickupDate": epoch_of(r.date, after),
        "driverDepartureDate": epoch_of(r.date, after),
        "duration": int(duration_s),
        "requestedSeats": r.seats,
    }
    if distance_m >= 0:
        journey["distance"] = int(distance_m)
    if r.origin_label:
        journey["passengerPickupAddress"] = r.origin_label
    if r.destination_label:
        journey["passengerDropAddress"] = r.destination_label
    return journey


def request_window_s(request: RideRequest) -> tuple[float, float]:
    """When the passenger may be picked up, as far as their request says."""
    r = request.request
    start = _clock_s(r.depart_after) if r.depart_after else 0.0
    end = _clock_s(r.depart_before) if r.depart_before else None
    if end is None:
        end = _clock_s(r.arrive_by) if r.arrive_by else 86_399.0
    return start, end
