"""The carpool service's entrypoints: validate, check who asks, call the store or pure code.

Who may touch what is decided here (contracts.identity.Caller): a resident acts on their own
offers, requests and bookings; a dispatcher or an admin on the whole tenant, and may act on
someone's behalf. Someone else's object answers exactly like a missing one (NotFound).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from nameko.events import EventDispatcher
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from contracts.carpool import CarpoolProfileIn, OfferIn, RequestIn
from contracts.messaging import SmsReceived, TransactionalSms
from services.carpool import (
    data_retention,
    flows,
    journeys,
    landmark_refresh,
    profile,
    territory,
)
from services.carpool.bookings import expire_pending
from services.carpool.clock import PARIS
from services.carpool.dependencies import (
    CarpoolConfig,
    ProcessOwner,
    RideIndexCache,
    TerritoryKeeper,
)
from services.carpool.personal_data import PersonalData
from services.carpool.personal_store import PersonalStore
from services.carpool.places import PlacesFileError, read_bnlc, read_plain_list
from services.carpool.ride_index import RideIndex
from services.carpool.settings import CarpoolSettings
from services.carpool.sms_claims import SmsClaims
from services.carpool.sms_desk import SmsDesk
from services.carpool.store import CarpoolStore
from services.carpool.trips_done import Carpool
from services.common import outbox
from services.common.dead_letter import event_handler
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import InvalidMessage, open_message
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.uptime import Uptime

ERRORS = (InvalidMessage, NotFound, Conflict, Forbidden)
# The retention job is looked at hourly and runs once a day per deployment (whichever instance
# claims the day), also soon after a start, so that restarts never starve it.
RETENTION_CHECK_S = 3600
LANDMARK_REFRESH_S = 60  # after a graph rebuild, the rides' landmark times catch up this soon
log = logging.getLogger(__name__)


class CarpoolService:
    name = "carpool"

    store: CarpoolStore = RedisStore(CarpoolStore)
    uptime: float = Uptime()
    dispatch = EventDispatcher()
    routing = RpcProxy("routing")
    alerts = RpcProxy("alerts")
    rides: RideIndex = RideIndexCache()
    config: CarpoolSettings = CarpoolConfig()
    territories: territory.TerritoryCache = TerritoryKeeper()
    owner: str = ProcessOwner()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    def _flows(self, tenant: str, caller: Any) -> Carpool:
        return Carpool(
            self.store,
            tenant,
            flows.caller_of(caller),
            self._matrix,
            self._relay,
            self._notifier(tenant),
            self.rides,
            dt.timedelta(seconds=self.config.answer_within_s),
            self._times,
        )

    def _matrix(self, points: Any) -> Any:
        return flows.matrix_from_routing(self.routing, points)

    def _times(self, sources: Any, targets: Any, both_ways: bool) -> Any:
        return flows.times_from_routing(self.routing, sources, targets, both_ways)

    def _notifier(self, tenant: str, strict: bool = False) -> flows.Notify:
        """People known by their number get an SMS, through the alerts service, once per key.

        After a booking changed, a failed notice is logged and does not undo the change
        (`strict=False`); an SMS answer (`strict=True`) fails its handler, which retries it with
        the same key, so it still leaves once."""

        def notify(username: str, text: str, key: str) -> None:
            phone = profile.number_of(self.store, tenant, username)
            if phone is None:
                return
            sms = TransactionalSms(to=phone, body=text, idempotency_key=key)
            try:
                self.alerts.send_sms(tenant, sms.model_dump(mode="json"))
            except Exception:
                if strict:
                    raise
                log.exception("could not send the SMS %s to %s", key, phone)

        return notify

    # -- a carpooler's number for the booking SMS -----------------------------------------------

    @rpc(expected_exceptions=ERRORS)
    def get_profile(self, tenant: str, caller: dict[str, Any]) -> dict[str, Any]:
        """→ `CarpoolProfile`: the caller's number for the booking SMS, if any."""
        return profile.profile(self.store, tenant, flows.caller_of(caller))

    @rpc(expected_exceptions=ERRORS)
    def set_profile(
        self, tenant: str, caller: dict[str, Any], given: dict[str, Any]
    ) -> dict[str, Any]:
        """`CarpoolProfileIn` (an E.164 number, or null) → `CarpoolProfile`."""
        return profile.set_profile(
            self.store, tenant, flows.caller_of(caller), flows.validated(CarpoolProfileIn, given)
        )

    # -- carpool by SMS --------------------------------------------------------------------------

    @event_handler("alerts", "sms_received")
    def handle_sms_received(self, body: dict[str, Any]) -> None:
        """COVOIT …, 1/2/3, ANNULER from a phone: answered by SMS (once per inbound SID)."""
        envelope, sms = open_message(body, SmsReceived)
        desk = SmsDesk(
            self.store,
            envelope.tenant,
            self._matrix,
            self._relay,
            self._notifier(envelope.tenant, strict=True),
            self.rides,
            self._times,
            self._claims(),
        )
        desk.handle(sms)

    def _claims(self) -> SmsClaims:
        return SmsClaims(self.store.client, self.store.outbox_prefix, self.owner)

    @timer(interval=2, eager=True)
    def keep_sms_lease(self) -> None:
        """Tells waiting instances this process is alive to answer the SMS it claimed."""
        self._claims().renew()

    # -- offers and requests ---------------------------------------------------------------------

    @rpc(expected_exceptions=ERRORS)
    def offer_ride(self, tenant: str, caller: dict[str, Any], offer: dict[str, Any]) -> Any:
        """`OfferIn` → `Offer`; publishes `ride_offered`."""
        given = flows.validated(OfferIn, offer)
        self._inside(tenant, origin=given.origin, destination=given.destination)
        return self._flows(tenant, caller).offer(given)

    @rpc(expected_exceptions=ERRORS)
    def request_ride(self, tenant: str, caller: dict[str, Any], request: dict[str, Any]) -> Any:
        """`RequestIn` → `{request: RideRequest, matches: [Match]}`; publishes `ride_requested`."""
        given = flows.validated(RequestIn, request)
        self._inside(tenant, origin=given.origin, destination=given.destination)
        return self._flows(tenant, caller).request(given)

    def _inside(self, tenant: str, **points: Any) -> None:
        """422 for a point outside the tenant's communes (boundaries kept by alerts)."""
        territory.check_inside(self.territories.of(tenant, self._boundaries), **points)

    def _boundaries(self, tenant: str) -> Any:
        try:
            return self.alerts.commune_boundaries(tenant)
        except RemoteError as error:
            if error.exc_type == "NotFound":
                return None  # no boundaries stored: the road graph alone decides
            raise
        except UnknownService:
            return territory.UNKNOWN

    @rpc(expected_exceptions=ERRORS)
    def find_matches(self, tenant: str, caller: dict[str, Any], request_id: str) -> Any:
        return self._flows(tenant, caller).matches(request_id)

    @rpc(expected_exceptions=ERRORS)
    def get_offer(self, tenant: str, caller: dict[str, Any], offer_id: str) -> Any:
        return self._flows(tenant, caller).get_offer(offer_id)

    @rpc(expected_exceptions=ERRORS)
    def get_request(self, tenant: str, caller: dict[str, Any], request_id: str) -> Any:
        return self._flows(tenant, caller).get_request(request_id)

    @rpc(expected_exceptions=ERRORS)
    def my_carpool(self, tenant: str, caller: dict[str, Any]) -> Any:
        """The caller's offers, requests and bookings."""
        return self._flows(tenant, caller).mine()

    # -- bookings --------------------------------------------------------------------------------

    @rpc(expected_exceptions=ERRORS)
    def book_ride(
        self, tenant: str, caller: dict[str, Any], request_id: str, offer_id: str, date: str
    ) -> Any:
        """Book the ride for the request (pending the driver's answer); `ride_matched`."""
        return self._flows(tenant, caller).book(request_id, offer_id, date)

    @rpc(expected_exceptions=ERRORS)
    def answer_booking(
        self, tenant: str, caller: dict[str, Any], booking_id: str, accept: bool
    ) -> Any:
        """The driver accepts (`booking_confirmed`) or declines (`booking_cancelled`)."""
        return self._flows(tenant, caller).answer(booking_id, bool(accept))

    @rpc(expected_exceptions=ERRORS)
    def cancel_booking(self, tenant: str, caller: dict[str, Any], booking_id: str) -> Any:
        return self._flows(tenant, caller).cancel_booking(booking_id)

    @rpc(expected_exceptions=ERRORS)
    def get_booking(self, tenant: str, caller: dict[str, Any], booking_id: str) -> Any:
        return self._flows(tenant, caller).get_booking(booking_id)

    @rpc(expected_exceptions=ERRORS)
    def cancel_ride(self, tenant: str, caller: dict[str, Any], offer_id: str, date: str) -> Any:
        """The driver cancels one day of a ride; every passenger is re-matched or told none."""
        return self._flows(tenant, caller).cancel_ride(offer_id, date)

    @rpc(expected_exceptions=ERRORS)
    def complete_ride(self, tenant: str, caller: dict[str, Any], offer_id: str, date: str) -> Any:
        """The ride took place: its trip is recorded; `trip_completed`."""
        return self._flows(tenant, caller).complete(offer_id, date)

    @rpc(expected_exceptions=ERRORS)
    def trips_csv(
        self, tenant: str, caller: dict[str, Any], month: str, commune: str | None = None
    ) -> str:
        """The month's trips (dispatchers and admins), for the mobility report; with `commune`,
        those that start or end there."""
        return self._flows(tenant, caller).trips_csv(month, commune)

    # -- personal data (RGPD) ------------------------------------------------------------------

    def _personal(self, tenant: str, caller: Any) -> PersonalData:
        return PersonalData(
            self.store,
            tenant,
            flows.caller_of(caller),
            self._matrix,
            self._relay,
            self._notifier(tenant),
            self.rides,
            dt.timedelta(seconds=self.config.answer_within_s),
            self._times,
        )

    @rpc(expected_exceptions=ERRORS)
    def export_person(
        self, tenant: str, caller: dict[str, Any], username: str | None = None
    ) -> dict[str, Any]:
        """`CarpoolExport`: everything held about the caller, or (dispatchers, admins) about
        `username`."""
        return self._personal(tenant, caller).export(username)

    @rpc(expected_exceptions=ERRORS)
    def erase_person(
        self, tenant: str, caller: dict[str, Any], username: str | None = None
    ) -> dict[str, Any]:
        """`CarpoolErased`: open bookings cancelled (the other party told, re-matched), then the
        person's offers, requests and bookings removed and their trips anonymised."""
        return self._personal(tenant, caller).erase(username)

    @timer(interval=LANDMARK_REFRESH_S)
    def refresh_landmark_rows(self) -> None:
        """After a road graph rebuild, the rides' landmark times onto the new graph."""
        today = dt.datetime.now(PARIS).date().isoformat()
        tenants = PersonalStore(self.store).tenants()
        written = landmark_refresh.refresh_all(self.store, tenants, today, self._times)
        if written:
            log.info("landmark times of %d rides recomputed on the current road graph", written)

    @timer(interval=RETENTION_CHECK_S, eager=True)
    def apply_retention(self) -> None:
        today = dt.datetime.now(dt.UTC).date()
        if PersonalStore(self.store).claim_daily("retention", today.isoformat()):
            data_retention.apply_retention(self.store, today, self.config.retention_days)

    # -- interoperability (standard-covoiturage search routes) -------------------------------

    @rpc(expected_exceptions=ERRORS)
    def driver_journeys(
        self, tenant: str, caller: dict[str, Any], query: dict[str, Any], operator: str
    ) -> list[dict[str, Any]]:
        """Our rides that can take someone from departure to arrival around a time."""
        flows.caller_of(caller)
        return journeys.driver_journeys(
            self.store, tenant, journeys.query_of(query), self._matrix, operator, self.rides,
            self._times,
        )  # fmt: skip

    @rpc(expected_exceptions=ERRORS)
    def passenger_journeys(
        self, tenant: str, caller: dict[str, Any], query: dict[str, Any], operator: str
    ) -> list[dict[str, Any]]:
        """Our passengers still looking for a ride near that route and time."""
        flows.caller_of(caller)
        return journeys.passenger_journeys(
            self.store, tenant, journeys.query_of(query), self._matrix, operator
        )

    # -- meeting places --------------------------------------------------------------------------

    @rpc(expected_exceptions=ERRORS)
    def import_places(
        self,
        tenant: str,
        caller: dict[str, Any],
        text: str,
        kind: str = "bnlc",
        communes: list[str] | None = None,
        anchors: list[list[float]] | None = None,
        within_m: float = 0.0,
    ) -> dict[str, Any]:
        """Meeting places from a BNLC CSV or a `name,lat,lon` list (dispatchers and admins)."""
        who = flows.caller_of(caller)
        if not who.tenant_wide:
            raise Forbidden("only a dispatcher or an admin imports meeting places")
        try:
            if kind == "bnlc":
                imported = read_bnlc(text, communes or (), anchors or (), within_m)
            elif kind == "list":
                imported = read_plain_list(text)
            else:
                raise InvalidMessage("kind must be 'bnlc' or 'list'")
        except PlacesFileError as error:
            raise InvalidMessage(str(error)) from None
        saved = self.store.save_places(tenant, imported.places)
        return {"imported": saved, "skipped": imported.skipped}

    @rpc
    def list_places(self, tenant: str) -> list[dict[str, Any]]:
        return [p.model_dump(mode="json") for p in self.store.all_places(tenant)]

    # -- outbox ----------------------------------------------------------------------------------

    @timer(interval=2)
    def relay_outbox(self) -> None:
        # Catches events left behind by a crash between the state write and the publication.
        self._relay()

    @timer(interval=15)
    def expire_answers(self) -> None:
        """Pending bookings the driver did not answer in time give their seat back."""
        expire_pending(self.store, self._relay)

    def _relay(self) -> None:
        outbox.relay(self.store.client, self.store.outbox_prefix, self.dispatch)
