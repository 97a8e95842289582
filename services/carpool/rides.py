"""Between the contracts and the pure matcher: rides, asks and matches. Pure."""

from __future__ import annotations

import datetime as dt
import math

from contracts.carpool import Match, MatchStop, Offer, Place, RequestIn
from services.carpool.clock import hhmm, seconds
from services.carpool.matching.insertion import INF
from services.carpool.matching.prefilter import AskBounds
from services.carpool.matching.ranking import place_label
from services.carpool.matching.search import (
    WALK_MPS,
    AskState,
    Found,
    NearbyPlace,
    PromisedStop,
    RideState,
)

HOME_LABEL = "votre point de départ"
OPEN_WINDOW_S = 3600.0
DESTINATION_LABEL = "votre destination"


def ride_key(offer_id: str, day: dt.date | str) -> str:
    return f"{offer_id}@{day if isinstance(day, str) else day.isoformat()}"


def split_key(key: str) -> tuple[str, str]:
    offer_id, day = key.split("@", 1)
    return offer_id, day


def prefilter_row(offer: Offer, ends: list[float | None] | None = None) -> list[float | None]:
    """The ride's row in the day's index; `ends`: its times to and from the landmarks."""
    o = offer.offer
    return [
        o.origin[0],
        o.origin[1],
        o.destination[0],
        o.destination[1],
        seconds(o.depart_earliest, 0),
        seconds(o.depart_latest, 0),
        offer.direct_s + offer.max_detour_s,
        float(o.seats),
        float(o.takes.wheelchair),
        float(o.takes.child_seat),
        *(ends or []),
    ]


def ride_state(key: str, offer: Offer, stops: tuple[PromisedStop, ...]) -> RideState:
    o = offer.offer
    return RideState(
        key=key,
        origin=(o.origin[0], o.origin[1]),
        destination=(o.destination[0], o.destination[1]),
        depart_earliest=seconds(o.depart_earliest, 0),
        depart_latest=seconds(o.depart_latest, 0),
        seats=o.seats,
        direct_s=offer.direct_s,
        max_detour_s=offer.max_detour_s,
        wheelchair=o.takes.wheelchair,
        child_seat=o.takes.child_seat,
        stops=stops,
        driver_first_name=o.first_name,
    )


def ask_state(request: RequestIn, ref: str) -> AskState:
    """A window given by one end only is an hour long: "at the doctor's by 9:30" does not mean
    "any time since dawn"."""
    depart_after = seconds(request.depart_after, -INF)
    depart_before = seconds(request.depart_before, INF)
    if request.depart_after is None and request.depart_before is not None:
        depart_after = depart_before - OPEN_WINDOW_S
    if request.depart_before is None and request.depart_after is not None:
        depart_before = depart_after + OPEN_WINDOW_S
    arrive_by = seconds(request.arrive_by, INF)
    arrive_after = seconds(request.arrive_after, -INF)
    if request.arrive_after is None and request.arrive_by is not None:
        arrive_after = arrive_by - OPEN_WINDOW_S
    return AskState(
        origin=(request.origin[0], request.origin[1]),
        destination=(request.destination[0], request.destination[1]),
        depart_after=max(depart_after, 0.0),
        depart_before=depart_before,
        arrive_after=max(arrive_after, 0.0),
        arrive_by=arrive_by,
        seats=request.seats,
        wheelchair=request.needs.wheelchair,
        child_seat=request.needs.child_seat,
        max_walk_m=float(request.max_walk_m),
        origin_label=request.origin_label or HOME_LABEL,
        destination_label=request.destination_label or DESTINATION_LABEL,
        ref=ref,
    )


def ask_bounds(ask: AskState) -> AskBounds:
    walk_s = ask.max_walk_m / WALK_MPS
    return AskBounds(
        origin=ask.origin,
        destination=ask.destination,
        walk_m=ask.max_walk_m,
        pickup_earliest=ask.depart_after,
        pickup_latest=ask.depart_before + walk_s,
        dropoff_earliest=ask.arrive_after - walk_s,
        dropoff_latest=ask.arrive_by,
        seats=ask.seats,
        wheelchair=ask.wheelchair,
        child_seat=ask.child_seat,
    )


def nearby(places: list[Place]) -> list[NearbyPlace]:
    return [
        NearbyPlace(
            p.place_id,
            (p.location[0], p.location[1]),
            place_label(p.name, p.kind, p.commune_name),
        )
        for p in places
    ]


def as_match(found: Found) -> Match:
    offer_id, day = split_key(found.ride.key)
    ins = found.insertion
    seats_used = max(_loads(found.new_stops))
    return Match(
        offer_id=offer_id,
        date=dt.date.fromisoformat(day),
        driver_first_name=found.ride.driver_first_name,
        pickup=MatchStop(
            location=found.new_stops[ins.pickup_index].location,
            label=found.pickup_label,
            place_id=ins.pickup.key or None,
            time=hhmm(ins.pickup_time),
            walk_m=round(ins.pickup.walk_m, 1),
        ),
        dropoff=MatchStop(
            location=found.new_stops[ins.dropoff_index].location,
            label=found.dropoff_label,
            place_id=ins.dropoff.key or None,
            time=hhmm(ins.dropoff_time),
            walk_m=round(ins.dropoff.walk_m, 1),
        ),
        detour_s=round(ins.detour_s, 1),
        wait_s=round(ins.wait_s, 1),
        walk_m=round(ins.walk_m, 1),
        seats_left=max(found.ride.seats - seats_used, 0),
        score=round(found.score, 1),
        reason=found.reason,
        ride_m=None if math.isinf(found.ride_m) else round(found.ride_m, 1),
    )


def _loads(stops: tuple[PromisedStop, ...]) -> list[int]:
    load, loads = 0, [0]
    for stop in stops:
        load += stop.load
        loads.append(load)
    return loads
