"""The carpool service's state in Redis, under `carpool:<tenant>:`.

offer:<id> (JSON Offer) · request:<id> (JSON RideRequest) · booking:<id> (JSON Booking)
ride:<offer>@<date> (hash: status, version, stops JSON, seats) — one occurrence of an offer
phone:<user> (E.164 for the booking SMS of someone who uses the web) ·
day:<date> (hash: ride key → prefilter row) · of:<user> (set of offer/request/booking ids)
bookings:<ride key> (set) · places (GEO) and place:<id> (JSON Place) · trips:<yyyy-mm> (list)
ends (zset: offer:<id> / request:<id> by the ordinal of its last day, for the retention) ·
trip_figures:<yyyy-mm> (list of anonymous TripFigures) · legs:<date> (hash: "lat,lon>lat,lon" →
driving s between two consecutive points of a ride, expires two days after) ·
and `carpool:_:<deployment>:tenants`
Events go to the deployment's outbox in the same transaction as the state they describe.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import redis

from contracts.carpool import Booking, Offer, Place, RideRequest, Trip
from services.carpool.matching.rectangles import Pair
from services.carpool.matching.search import PromisedStop
from services.common import outbox
from services.common.settings import Settings, deployment_of

GEO_MAX_LATITUDE = 85.05112878
PREFIX = "carpool"

# Book a seat: only if the ride is active and unchanged since the insertion was computed, and the
# booking is new. Anything else answers why, and nothing is written.
BOOK_LUA = """
local ride = redis.call('HMGET', KEYS[1], 'status', 'version')
if not ride[1] then return 'missing' end
if ride[1] ~= 'active' then return ride[1] end
if redis.call('EXISTS', KEYS[7]) == 1 then return 'exists' end
if ride[2] ~= ARGV[1] then return 'changed' end
redis.call('SET', KEYS[7], ARGV[4])
redis.call('ZADD', KEYS[8], ARGV[8], ARGV[9])
redis.call('HSET', KEYS[1], 'stops', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('SADD', KEYS[4], ARGV[7])
redis.call('SADD', KEYS[5], ARGV[7])
redis.call('XADD', KEYS[6], '*', 'type', ARGV[5], 'body', ARGV[6])
return 'ok'
"""


def stops_json(stops: Iterable[PromisedStop]) -> str:
    return json.dumps(
        [
            {
                "location": list(s.location),
                "earliest": s.earliest,
                "latest": s.latest,
                "load": s.load,
                "booking_id": s.booking_id,
            }
            for s in stops
        ]
    )


def stops_of(raw: str | None) -> tuple[PromisedStop, ...]:
    return tuple(
        PromisedStop(
            (float(s["location"][0]), float(s["location"][1])),
            float(s["earliest"]),
            float(s["latest"]),
            int(s["load"]),
            str(s["booking_id"]),
        )
        for s in json.loads(raw or "[]")
    )


def _leg_field(pair: Pair) -> str:
    (a, b), (c, d) = pair
    return f"{a:.5f},{b:.5f}>{c:.5f},{d:.5f}"


class RideChanged(Exception):
    """Another booking changed the ride between the search and the write."""


class CarpoolStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.outbox_prefix = f"{PREFIX}:_:{deployment_of(settings.amqp_uri)}"
        self._book = client.register_script(BOOK_LUA)

    @staticmethod
    def k(tenant: str, *parts: str) -> str:
        return ":".join((PREFIX, tenant, *parts))

    def tenants_key(self) -> str:
        """Every tenant of the deployment that has had an offer or a request (retention)."""
        return f"{self.outbox_prefix}:tenants"

    def _note_end(self, pipe: Any, tenant: str, member: str, last_day: str) -> None:
        # The retention finds what is past its last day without reading everything.
        pipe.sadd(self.tenants_key(), tenant)
        pipe.zadd(self.k(tenant, "ends"), {member: dt.date.fromisoformat(last_day).toordinal()})

    def _outbox(self) -> str:
        return outbox.outbox_key(self.outbox_prefix)

    # -- offers and their rides ------------------------------------------------------------------

    def save_offer(
        self,
        tenant: str,
        offer: Offer,
        rides: list[tuple[str, list[float | None]]],
        event: dict[str, Any],
        graph: str | None = None,
    ) -> bool:
        """The offer, one ride per day it runs (with its prefilter row, its landmark times from
        road graph `graph`), and `ride_offered`; False (nothing written) when an offer with this
        id already exists."""
        key = self.k(tenant, "offer", offer.offer_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.watch(key)
            if pipe.exists(key):
                return False
            pipe.multi()
            pipe.set(key, offer.model_dump_json())
            pipe.sadd(self.k(tenant, "of", offer.driver), f"offer:{offer.offer_id}")
            for ride_key, row in rides:
                day = ride_key.split("@", 1)[1]
                pipe.hset(
                    self.k(tenant, "ride", ride_key),
                    mapping={"status": "active", "version": 0, "stops": "[]"},
                )
                stored = [*row, graph] if graph is not None else row  # the graph: a string
                pipe.hset(self.k(tenant, "day", day), ride_key, json.dumps(stored))
                pipe.incr(self.k(tenant, "dayv", day))
            outbox.append(pipe, self.outbox_prefix, "ride_offered", event)
            last_day = max(ride_key.split("@", 1)[1] for ride_key, _ in rides)
            self._note_end(pipe, tenant, f"offer:{offer.offer_id}", last_day)
            return _executed(pipe)

    def offer(self, tenant: str, offer_id: str) -> Offer | None:
        raw = self.client.get(self.k(tenant, "offer", offer_id))
        return None if raw is None else Offer.model_validate_json(str(raw))

    def offers(self, tenant: str, offer_ids: Iterable[str]) -> dict[str, Offer]:
        ids = list(dict.fromkeys(offer_ids))
        if not ids:
            return {}
        raws = self.client.mget([self.k(tenant, "offer", i) for i in ids])
        return {
            i: Offer.model_validate_json(str(raw))
            for i, raw in zip(ids, raws, strict=True)
            if raw is not None
        }

    def day_rows(self, tenant: str, day: str) -> list[tuple[str, list[float | None], str | None]]:
        """The day's prefilter rows: (ride key, row, the road graph of its landmark times)."""
        raw: dict[str, str] = self.client.hgetall(self.k(tenant, "day", day))  # type: ignore[assignment]
        rows = []
        for key, stored in raw.items():
            row = json.loads(stored)
            graph = row.pop() if row and isinstance(row[-1], str) else None
            rows.append((key, row, graph))
        return rows

    def landmarks(self, tenant: str) -> list[tuple[float, float]]:
        raw = self.client.get(self.k(tenant, "landmarks"))
        return [(float(a), float(b)) for a, b in json.loads(str(raw))] if raw else []

    def keep_landmarks(
        self, tenant: str, points: list[tuple[float, float]]
    ) -> list[tuple[float, float]]:
        """The tenant's landmarks are chosen once (the first offer); the first writer wins."""
        self.client.set(self.k(tenant, "landmarks"), json.dumps(points), nx=True)
        return self.landmarks(tenant)

    def day_version(self, tenant: str, day: str) -> str:
        """Bumped whenever a ride joins or leaves the day's index (see `ride_index.py`)."""
        return str(self.client.get(self.k(tenant, "dayv", day)) or "0")

    def rides(self, tenant: str, ride_keys: list[str]) -> dict[str, dict[str, str]]:
        with self.client.pipeline(transaction=False) as pipe:
            for key in ride_keys:
                pipe.hgetall(self.k(tenant, "ride", key))
            answers = pipe.execute()
        return {key: answer for key, answer in zip(ride_keys, answers, strict=True) if answer}

    def ride(self, tenant: str, ride_key: str) -> dict[str, str]:
        return self.client.hgetall(self.k(tenant, "ride", ride_key))  # type: ignore[return-value]

    # -- a carpooler's number for the booking SMS ----------------------------------------------

    def phone(self, tenant: str, username: str) -> str | None:
        found = self.client.get(self.k(tenant, "phone", username))
        return None if found is None else str(found)

    def set_phone(self, tenant: str, username: str, phone: str | None) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            if phone is None:
                pipe.delete(self.k(tenant, "phone", username))
                pipe.srem(self.k(tenant, "of", username), "profile:phone")
            else:
                pipe.set(self.k(tenant, "phone", username), phone)
                pipe.sadd(self.k(tenant, "of", username), "profile:phone")
            pipe.execute()

    # -- rides' legs (a cache of routing's answers: kept until two days after the ride's day) ---

    def kept_legs(
        self, tenant: str, day: str, pairs: Iterable[Pair], road: str | None
    ) -> dict[Pair, float]:
        """The legs kept for these pairs on the road graph `road` (none when it is unknown)."""
        asked = list(pairs)
        if not asked or road is None:
            return {}
        fields = [f"{road}|{_leg_field(p)}" for p in asked]
        raw = self.client.hmget(self.k(tenant, "legs", day), fields)
        return {p: float(v) for p, v in zip(asked, raw, strict=True) if v is not None}  # type: ignore[union-attr]

    def keep_legs(self, tenant: str, day: str, legs: dict[Pair, float], road: str | None) -> None:
        """Keep legs computed on the road graph `road` (not at all when it is unknown)."""
        if not legs or road is None:
            return
        key = self.k(tenant, "legs", day)  # one key a day: erasing a day's legs is one DEL
        until = dt.datetime.combine(
            dt.date.fromisoformat(day) + dt.timedelta(days=2), dt.time(), dt.UTC
        )
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hset(
                key, mapping={f"{road}|{_leg_field(p)}": repr(float(t)) for p, t in legs.items()}
            )
            pipe.expireat(key, until)
            pipe.execute()

    # -- requests --------------------------------------------------------------------------------

    def save_request(self, tenant: str, request: RideRequest, event: dict[str, Any]) -> bool:
        """The request and `ride_requested`; False (nothing written) when its id exists."""
        key = self.k(tenant, "request", request.request_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.watch(key)
            if pipe.exists(key):
                return False
            pipe.multi()
            pipe.set(key, request.model_dump_json())
            pipe.sadd(self.k(tenant, "of", request.passenger), f"request:{request.request_id}")
            day = request.request.date.isoformat()
            pipe.sadd(self.k(tenant, "requests", day), request.request_id)
            outbox.append(pipe, self.outbox_prefix, "ride_requested", event)
            self._note_end(pipe, tenant, f"request:{request.request_id}", day)
            return _executed(pipe)

    def request(self, tenant: str, request_id: str) -> RideRequest | None:
        raw = self.client.get(self.k(tenant, "request", request_id))
        return None if raw is None else RideRequest.model_validate_json(str(raw))

    def requests_of_day(self, tenant: str, day: str) -> list[RideRequest]:
        ids: set[str] = self.client.smembers(self.k(tenant, "requests", day))  # type: ignore[assignment]
        if not ids:
            return []
        raws = self.client.mget([self.k(tenant, "request", i) for i in sorted(ids)])
        return [RideRequest.model_validate_json(str(r)) for r in raws if r is not None]

    def owned(self, tenant: str, username: str, kind: str) -> list[str]:
        members: set[str] = self.client.smembers(self.k(tenant, "of", username))  # type: ignore[assignment]
        return sorted(m.split(":", 1)[1] for m in members if m.startswith(f"{kind}:"))

    # -- bookings --------------------------------------------------------------------------------

    def book(
        self,
        tenant: str,
        ride_key: str,
        version: str,
        stops: Iterable[PromisedStop],
        booking: Booking,
        event_type: str,
        event: dict[str, Any],
    ) -> str:
        """'ok', or why not: 'exists' (the request holds a booking), 'changed' (another booking
        changed the ride since the search), 'cancelled', 'completed', 'missing'."""
        keys = [
            self.k(tenant, "ride", ride_key),
            self.k(tenant, "booking", booking.booking_id),
            self.k(tenant, "bookings", ride_key),
            self.k(tenant, "of", booking.passenger),
            self.k(tenant, "of", booking.driver),
            self._outbox(),
            self.k(tenant, "request", booking.request_id, "booking"),
            self.pending_key(),
        ]
        answer = self._book(
            keys=keys,
            args=[
                version,
                stops_json(stops),
                booking.model_dump_json(),
                booking.booking_id,
                event_type,
                json.dumps(event),
                f"booking:{booking.booking_id}",
                booking.answer_by.timestamp(),
                f"{tenant}|{booking.booking_id}",
            ],
        )
        return str(answer)

    def pending_key(self) -> str:
        """Bookings awaiting the driver's answer, by deadline, across tenants of the deployment."""
        return f"{self.outbox_prefix}:pending"

    def due(self, now_epoch: float, count: int = 100) -> list[tuple[str, str]]:
        members: list[str] = self.client.zrangebyscore(  # type: ignore[assignment]
            self.pending_key(), "-inf", now_epoch, start=0, num=count
        )
        return [tuple(m.split("|", 1)) for m in members]  # type: ignore[misc]

    def active_booking_of(self, tenant: str, request_id: str) -> str | None:
        value = self.client.get(self.k(tenant, "request", request_id, "booking"))
        return None if value is None else str(value)

    def booking(self, tenant: str, booking_id: str) -> Booking | None:
        raw = self.client.get(self.k(tenant, "booking", booking_id))
        return None if raw is None else Booking.model_validate_json(str(raw))

    def ride_bookings(self, tenant: str, ride_key: str) -> list[Booking]:
        ids: set[str] = self.client.smembers(self.k(tenant, "bookings", ride_key))  # type: ignore[assignment]
        found = [self.booking(tenant, i) for i in sorted(ids)]
        return [b for b in found if b is not None]

    def change_booking(
        self,
        tenant: str,
        before: Booking,
        after: Booking,
        release_stops: bool,
        events: list[tuple[str, dict[str, Any]]],
    ) -> bool:
        """Replace `before` by `after` if nobody changed it meanwhile; free its stops if asked."""
        booking_key = self.k(tenant, "booking", before.booking_id)
        ride_key = self.k(tenant, "ride", f"{before.offer_id}@{before.date.isoformat()}")
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(booking_key, ride_key)
                current = pipe.get(booking_key)
                if current is None or Booking.model_validate_json(str(current)) != before:
                    pipe.unwatch()
                    return False
                stops = stops_of(pipe.hget(ride_key, "stops"))  # type: ignore[arg-type]
                pipe.multi()
                pipe.set(booking_key, after.model_dump_json())
                if after.status.value not in ("pending",):
                    pipe.zrem(self.pending_key(), f"{tenant}|{before.booking_id}")
                if release_stops:
                    active = self.k(tenant, "request", before.request_id, "booking")
                    pipe.delete(active)
                    kept = [s for s in stops if s.booking_id != before.booking_id]
                    pipe.hset(ride_key, "stops", stops_json(kept))
                    pipe.hincrby(ride_key, "version", 1)
                for event_type, body in events:
                    outbox.append(pipe, self.outbox_prefix, event_type, body)
                pipe.execute()
            except redis.WatchError:
                return False
        return True

    def set_ride_status(
        self,
        tenant: str,
        ride_key: str,
        status: str,
        events: list[tuple[str, dict[str, Any]]],
        trip: Trip | None = None,
    ) -> bool:
        """Mark a ride cancelled or completed once; False when it already was not active."""
        key = self.k(tenant, "ride", ride_key)
        day = ride_key.split("@", 1)[1]
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                if pipe.hget(key, "status") != "active":
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.hset(key, "status", status)
                pipe.hincrby(key, "version", 1)
                pipe.hdel(self.k(tenant, "day", day), ride_key)
                pipe.incr(self.k(tenant, "dayv", day))
                if trip is not None:
                    pipe.rpush(self.k(tenant, "trips", day[:7]), trip.model_dump_json())
                for event_type, body in events:
                    outbox.append(pipe, self.outbox_prefix, event_type, body)
                pipe.execute()
            except redis.WatchError:
                return False
        return True

    def trips(self, tenant: str, month: str) -> list[Trip]:
        raws: list[str] = self.client.lrange(self.k(tenant, "trips", month), 0, -1)  # type: ignore[assignment]
        return [Trip.model_validate_json(raw) for raw in raws]

    # -- meeting places --------------------------------------------------------------------------

    def save_places(self, tenant: str, places: list[Place]) -> int:
        with self.client.pipeline(transaction=True) as pipe:
            for place in places:
                lat, lon = place.location
                pipe.geoadd(self.k(tenant, "places"), (lon, lat, place.place_id))
                pipe.set(self.k(tenant, "place", place.place_id), place.model_dump_json())
            pipe.execute()
        return len(places)

    def places_near(self, tenant: str, point: tuple[float, float], radius_m: float) -> list[Place]:
        # Redis GEO indexes latitudes within ±85.05°: nearer the poles no place can be stored,
        # so none is near (and asking would be an error, not an answer).
        if radius_m <= 0 or abs(point[0]) > GEO_MAX_LATITUDE:
            return []
        ids: list[str] = self.client.geosearch(  # type: ignore[assignment]
            self.k(tenant, "places"),
            longitude=point[1],
            latitude=point[0],
            radius=radius_m,
            unit="m",
        )
        return self._places(tenant, ids)

    def all_places(self, tenant: str) -> list[Place]:
        ids: list[str] = self.client.zrange(self.k(tenant, "places"), 0, -1)  # type: ignore[assignment]
        return self._places(tenant, ids)

    def _places(self, tenant: str, ids: list[str]) -> list[Place]:
        if not ids:
            return []
        raws = self.client.mget([self.k(tenant, "place", i) for i in ids])
        return [Place.model_validate_json(str(r)) for r in raws if r is not None]


def _executed(pipe: Any) -> bool:
    """Run a watched transaction; False when a concurrent writer took the watched key first."""
    try:
        pipe.execute()
    except redis.WatchError:
        return False
    return True
