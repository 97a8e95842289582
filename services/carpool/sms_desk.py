"""Carpool by SMS, for people without a smartphone: a text in, one text back.

The person is known by their number (`tel:+33…`, a resident who acts only on their own requests
and bookings), so a number can never cancel someone else's booking. A repeated delivery of the
same inbound SMS (same SID) gives the same answer and changes nothing more; the answer itself is
sent through the alerts service with the SID as idempotency key, so it leaves once.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

from contracts.carpool import Booking, BookingStatus, Place, RequestIn
from contracts.identity import Caller
from contracts.messaging import SmsReceived
from contracts.users import Role
from services.carpool.clock import PARIS, hhmm
from services.carpool.matcher import MatrixFn
from services.carpool.matching.rectangles import TimesFn
from services.carpool.ride_index import RideIndex
from services.carpool.sms_claims import CLAIM_S, SmsClaims, process_owner
from services.carpool.sms_grammar import (
    HELP_FR,
    Cancel,
    Choose,
    Entry,
    Gazetteer,
    NotUnderstood,
    Search,
    parse,
)
from services.carpool.store import CarpoolStore
from services.carpool.trips_done import Carpool
from services.common.errors import Conflict, NotFound
from services.common.events import InvalidMessage

BEFORE_S = 15 * 60  # "9h" means leaving between 8:45 and 9:30
AFTER_S = 30 * 60
OPTIONS_TTL_S = 24 * 3600
REPLY_TTL_S = 7 * 24 * 3600


def identity(e164: str) -> str:
    return f"tel:{e164}"


def phone_of(username: str) -> str | None:
    return username[4:] if username.startswith("tel:") else None


def gazetteer(places: list[Place]) -> Gazetteer:
    """Meeting places by their name and by their commune's name."""
    entries = [Entry(p.name, (p.location[0], p.location[1]), p.place_id) for p in places]
    entries += [
        Entry(p.commune_name, (p.location[0], p.location[1]), p.place_id)
        for p in places
        if p.commune_name
    ]
    return Gazetteer(entries)


def _day_fr(day: dt.date) -> str:
    return day.strftime("%d/%m")


class SmsDesk:
    def __init__(
        self,
        store: CarpoolStore,
        tenant: str,
        matrix_of: MatrixFn,
        relay: Callable[[], None],
        notify: Callable[[str, str, str], None],
        index: RideIndex | None = None,
        times_of: TimesFn | None = None,
        claims: SmsClaims | None = None,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.matrix_of = matrix_of
        self.relay = relay
        self.notify = notify
        self.index = index
        self.times_of = times_of
        self.claims = claims or SmsClaims(store.client, store.outbox_prefix, process_owner())

    def _key(self, *parts: str) -> str:
        return self.store.k(self.tenant, "sms", *parts)

    def handle(self, sms: SmsReceived) -> str:
        """The answer to this SMS (computed once per SID), sent back to the sender."""
        reply_key = self._key("reply", sms.message_sid)
        reply = self.store.client.get(reply_key)
        if reply is None:
            # Two deliveries of the same SMS at once: one answers, the other waits for it (or
            # takes over from a holder that died).
            claim = self._key("claim", sms.message_sid)
            if self.claims.claim(claim) or (reply := self._wait_for(reply_key, claim)) is None:
                reply = self._answer(sms)
                self.store.client.set(reply_key, reply, ex=REPLY_TTL_S)
        self.notify(identity(sms.from_phone), str(reply), f"carpool-reply:{sms.message_sid}")
        return str(reply)

    def _wait_for(self, reply_key: str, claim: str) -> str | None:
        """The holder's answer; None once the claim is ours (its holder died)."""
        deadline = time.monotonic() + CLAIM_S
        while time.monotonic() < deadline:
            reply = self.store.client.get(reply_key)
            if reply is not None:
                return str(reply)
            if self.claims.take_over_if_dead(claim):
                return None
            time.sleep(0.1)
        raise TimeoutError("another worker claimed this SMS and did not answer it")

    def _flows(self, e164: str) -> Carpool:
        caller = Caller(username=identity(e164), role=Role.RESIDENT)
        return Carpool(
            self.store, self.tenant, caller, self.matrix_of, self.relay, self.notify, self.index,
            times_of=self.times_of,
        )  # fmt: skip

    def _answer(self, sms: SmsReceived) -> str:
        today = dt.datetime.now(PARIS).date()
        command = parse(sms.body, gazetteer(self.store.all_places(self.tenant)), today)
        if isinstance(command, NotUnderstood):
            return command.reply_fr
        if isinstance(command, Search):
            return self._search(sms.from_phone, command)
        if isinstance(command, Choose):
            return self._choose(sms.from_phone, command.option)
        if isinstance(command, Cancel):
            return self._cancel(sms.from_phone)
        return HELP_FR

    def _search(self, e164: str, command: Search) -> str:
        flows = self._flows(e164)
        legs = [("", command.origin, command.destination, command.time_s)]
        if command.return_time_s is not None:
            legs.append(("Retour ", command.destination, command.origin, command.return_time_s))
        options: list[dict[str, Any]] = []
        lines: list[str] = []
        for title, start, end, at in legs:
            asked = RequestIn(
                origin=start.location,
                destination=end.location,
                origin_label=start.name,
                destination_label=end.name,
                date=command.day,
                depart_after=hhmm(max(at - BEFORE_S, 0)),
                depart_before=hhmm(min(at + AFTER_S, 23 * 3600 + 59 * 60)),
            )
            try:
                answer = flows.request(asked)
            except InvalidMessage:
                lines.append(f"{title}{start.name}-{end.name} : lieu hors du territoire.")
                continue
            request_id = answer["request"]["request_id"]
            found = answer["matches"][:3]
            if not found:
                lines.append(f"{title}{start.name}-{end.name} : aucun trajet pour l'instant.")
            for match in found:
                options.append(
                    {"request_id": request_id, "offer_id": match["offer_id"],
                     "date": match["date"]}
                )  # fmt: skip
                driver = f" avec {match['driver_first_name']}" if match["driver_first_name"] else ""
                lines.append(f"{len(options)}) {title.lower()}{match['reason']}{driver}.")
        self.store.client.set(self._key("options", e164), json.dumps(options), ex=OPTIONS_TTL_S)
        head = f"Covoiturage {command.origin.name}-{command.destination.name} le "
        head += f"{_day_fr(command.day)} :"
        tail = "Répondez le numéro pour réserver." if options else "Réessayez plus tard."
        return " ".join([head, *lines, tail])

    def _choose(self, e164: str, option: int) -> str:
        raw = self.store.client.get(self._key("options", e164))
        options = json.loads(str(raw)) if raw else []
        if not 1 <= option <= len(options):
            return f"Pas d'option {option}. " + HELP_FR
        chosen = options[option - 1]
        try:
            booking = Booking.model_validate(
                self._flows(e164).book(chosen["request_id"], chosen["offer_id"], chosen["date"])
            )
        except (Conflict, NotFound):
            return "Cette place n'est plus disponible. Envoyez COVOIT pour chercher à nouveau."
        driver = booking.driver_first_name or "le conducteur"
        return (
            f"Réservé le {_day_fr(booking.date)} : départ {booking.pickup.time} "
            f"({booking.pickup.label}), avec {driver}, qui doit confirmer. "
            "ANNULER pour annuler."
        )

    def _cancel(self, e164: str) -> str:
        who = identity(e164)
        bookings = [
            self.store.booking(self.tenant, i)
            for i in self.store.owned(self.tenant, who, "booking")
        ]
        active = sorted(
            (b for b in bookings if b is not None and b.passenger == who
             and b.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)),
            key=lambda b: (b.date, b.pickup.time),
        )  # fmt: skip
        if not active:
            return "Aucune réservation à annuler pour ce numéro."
        booking = active[0]
        self._flows(e164).cancel_booking(booking.booking_id)
        return f"Votre covoiturage du {_day_fr(booking.date)} à {booking.pickup.time} est annulé."
