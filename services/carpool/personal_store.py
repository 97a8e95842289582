"""Removing what names a person from the carpool state (RGPD erasure and retention).

Beside `store.py` (which writes the state as rides are offered and booked), this module only
takes away: a booking and its stop in the driver's ride (and the day's kept legs), a ride day,
an offer, a request, and a trip's names (its figures stay, in `trip_figures:<yyyy-mm>`). Each
removal is one transaction; removing what is already gone changes nothing, so an interrupted
erasure or retention run can simply run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import redis

from contracts.carpool import Booking, Offer, RideRequest, Trip, TripFigures
from services.carpool.retention import figures_of
from services.carpool.rides import ride_key
from services.carpool.store import CarpoolStore, stops_json, stops_of

WATCH_ATTEMPTS = 5


class PersonalStore:
    def __init__(self, store: CarpoolStore) -> None:
        self.store = store
        self.client = store.client

    def _k(self, tenant: str, *parts: str) -> str:
        return self.store.k(tenant, *parts)

    # -- the daily retention ---------------------------------------------------------------------

    def tenants(self) -> list[str]:
        return sorted(self.client.smembers(self.store.tenants_key()))  # type: ignore[arg-type]

    def claim_daily(self, job: str, day: str) -> bool:
        """True for the first instance of the deployment to ask for `job` on `day`."""
        key = f"{self.store.outbox_prefix}:daily:{job}:{day}"
        return bool(self.client.set(key, "1", nx=True, ex=2 * 86400))

    def ended_before(self, tenant: str, day: dt.date) -> list[tuple[str, str]]:
        """(kind, id) of the offers and requests whose last day is before `day`."""
        members: list[str] = self.client.zrangebyscore(  # type: ignore[assignment]
            self._k(tenant, "ends"), "-inf", f"({day.toordinal()}"
        )
        return [tuple(m.split(":", 1)) for m in members]  # type: ignore[misc]

    def drop_end(self, tenant: str, kind: str, object_id: str) -> None:
        self.client.zrem(self._k(tenant, "ends"), f"{kind}:{object_id}")

    # -- trips -----------------------------------------------------------------------------------

    def trip_figures(self, tenant: str, month: str) -> list[TripFigures]:
        raws: list[str] = self.client.lrange(self._k(tenant, "trip_figures", month), 0, -1)  # type: ignore[assignment]
        return [TripFigures.model_validate_json(raw) for raw in raws]

    def anonymise_trips(self, tenant: str, month: str, chosen: Callable[[Trip], bool]) -> int:
        """The month's chosen trips lose their names and places; their figures are kept."""
        trips_key = self._k(tenant, "trips", month)
        for _ in range(WATCH_ATTEMPTS):
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(trips_key)
                    raws: list[str] = pipe.lrange(trips_key, 0, -1)  # type: ignore[assignment]
                    trips = [Trip.model_validate_json(raw) for raw in raws]
                    gone = [t for t in trips if chosen(t)]
                    if not gone:
                        pipe.unwatch()
                        return 0
                    pipe.multi()
                    pipe.delete(trips_key)
                    kept = [t.model_dump_json() for t in trips if not chosen(t)]
                    if kept:
                        pipe.rpush(trips_key, *kept)
                    figures = [figures_of(t).model_dump_json() for t in gone]
                    pipe.rpush(self._k(tenant, "trip_figures", month), *figures)
                    pipe.execute()
                    return len(gone)
                except redis.WatchError:
                    continue
        raise RuntimeError(f"the trips of {month} kept changing; try again")

    # -- bookings, rides, offers, requests ---------------------------------------------------------

    def delete_booking(self, tenant: str, booking: Booking) -> None:
        """The booking, its place in both people's lists, and its stops in the driver's ride."""
        key = ride_key(booking.offer_id, booking.date)
        ride = self._k(tenant, "ride", key)
        marker = self._k(tenant, "request", booking.request_id, "booking")
        for _ in range(WATCH_ATTEMPTS):
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(ride, marker)
                    stops = stops_of(pipe.hget(ride, "stops"))  # type: ignore[arg-type]
                    holds = pipe.get(marker) == booking.booking_id
                    ride_exists = bool(pipe.exists(ride))
                    pipe.multi()
                    pipe.delete(self._k(tenant, "booking", booking.booking_id))
                    member = f"booking:{booking.booking_id}"
                    pipe.srem(self._k(tenant, "of", booking.passenger), member)
                    pipe.srem(self._k(tenant, "of", booking.driver), member)
                    pipe.srem(self._k(tenant, "bookings", key), booking.booking_id)
                    pipe.zrem(self.store.pending_key(), f"{tenant}|{booking.booking_id}")
                    if holds:
                        pipe.delete(marker)
                    kept = [s for s in stops if s.booking_id != booking.booking_id]
                    if ride_exists and len(kept) != len(stops):
                        pipe.hset(ride, "stops", stops_json(kept))
                        pipe.hincrby(ride, "version", 1)
                    # The day's kept legs (a cache of routing) may hold their stops: re-asked.
                    pipe.delete(self._k(tenant, "legs", booking.date.isoformat()))
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
        raise RuntimeError(f"the ride {key} kept changing; try again")

    def delete_ride(self, tenant: str, key: str) -> None:
        """One day of an offer: out of the day's index (the matchers' caches see the new
        version), its state and its bookings' set gone. Its bookings go first."""
        day = key.split("@", 1)[1]
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hdel(self._k(tenant, "day", day), key)
            pipe.incr(self._k(tenant, "dayv", day))
            pipe.delete(self._k(tenant, "ride", key), self._k(tenant, "bookings", key))
            pipe.delete(self._k(tenant, "legs", day))  # a cache of routing, re-asked
            pipe.execute()

    def ride_booking_ids(self, tenant: str, key: str) -> list[str]:
        return sorted(self.client.smembers(self._k(tenant, "bookings", key)))  # type: ignore[arg-type]

    def delete_offer(self, tenant: str, offer: Offer) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self._k(tenant, "offer", offer.offer_id))
            pipe.srem(self._k(tenant, "of", offer.driver), f"offer:{offer.offer_id}")
            pipe.zrem(self._k(tenant, "ends"), f"offer:{offer.offer_id}")
            pipe.execute()

    def delete_request(self, tenant: str, request: RideRequest) -> None:
        rid = request.request_id
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self._k(tenant, "request", rid))
            pipe.srem(self._k(tenant, "requests", request.request.date.isoformat()), rid)
            pipe.delete(self._k(tenant, "request", rid, "booking"))
            pipe.srem(self._k(tenant, "of", request.passenger), f"request:{rid}")
            pipe.zrem(self._k(tenant, "ends"), f"request:{rid}")
            pipe.execute()

    def forget_sms_options(self, tenant: str, e164: str) -> None:
        """The rides last proposed to a number by SMS (kept a day, to book by `1`, `2`, `3`)."""
        self.client.delete(self._k(tenant, "sms", "options", e164))

    def bookings(self, tenant: str, ids: Iterable[str]) -> list[Booking]:
        found = [self.store.booking(tenant, i) for i in ids]
        return [b for b in found if b is not None]
