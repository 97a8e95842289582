"""Routing's entrypoints for seniors, families, menus and orders (issue 11), mixed into
RoutingService. Thin: validate, ask the pure `meals` modules, store with the history and event.

Who reaches a senior is decided here, from the Caller: dispatchers and admins all, a family only
the seniors linked to it, a mayor those of their communes. Any other senior answers NotFound,
exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from nameko.rpc import rpc

from contracts.identity import Caller
from contracts.meals import (
    FamilyLink,
    HistoryEntry,
    MealSettings,
    OrderIn,
    OrderPlaced,
    Pause,
    Senior,
    SeniorErasedEvent,
    SeniorIn,
    WeeklyMenu,
)
from contracts.meals_events import FamilySmsReceipt
from contracts.users import Role
from services.common.dead_letter import event_handler
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import InvalidMessage, make_message, open_message
from services.routing.entry_checks import caller_of, checked
from services.routing.meals import erasure, ordering, profiles
from services.routing.meals.cutoff import PARIS
from services.routing.meals.day import delivery_id, senior_of_delivery
from services.routing.meals.receipts import receipt_line
from services.routing.meals.register import import_report

log = logging.getLogger(__name__)
MEAL_ERRORS = (InvalidMessage, Conflict, NotFound, Forbidden)


def now() -> dt.datetime:
    return dt.datetime.now(PARIS)


def _entry(by: str, what: str) -> HistoryEntry:
    return HistoryEntry(at=now(), by=by, what=what)


class MealsEntrypoints:
    """Mixed into RoutingService (which provides `store`, `_place`, `_relay`)."""

    store: Any

    # -- helpers --------------------------------------------------------------------------------
    def _who(self, caller: Any) -> Caller:
        return caller_of(caller)

    def _valid(self, model: Any, raw: Any) -> Any:
        return checked(model, raw)

    def _dispatcher(self, caller: Any, what: str) -> Caller:
        who = self._who(caller)
        if not who.tenant_wide:
            raise Forbidden(f"only dispatchers and admins {what}")
        return who

    def _senior(self, tenant: str, who: Caller, senior_id: str) -> Senior:
        senior = self.store.meals.senior(tenant, senior_id)
        if senior is None or not profiles.reaches(who, senior):
            raise NotFound(f"no senior {senior_id}")
        return senior  # type: ignore[no-any-return]

    def _placed(self, profile: SeniorIn) -> str | None:
        """Why the senior's point cannot be used (too far from any road), naming the senior."""
        placement = self._place(  # type: ignore[attr-defined]
            [(profile.id, f"{profile.first_name} {profile.last_name}", profile.location)], False
        )
        if not placement.misplaced:
            return None
        return (
            f"senior {placement.misplaced[0].describe()}: give the point of the door, on or "
            "near a road"
        )

    # -- the families' SMS receipts (from the alerts service) ------------------------------------
    @event_handler("alerts", "message_delivered")
    def handle_message_delivered(self, body: dict[str, Any]) -> None:
        self._family_receipt(body)

    @event_handler("alerts", "message_undelivered")
    def handle_message_undelivered(self, body: dict[str, Any]) -> None:
        self._family_receipt(body)

    def _family_receipt(self, body: dict[str, Any]) -> None:
        """Whether the family's SMS about a meal reached them goes into the senior's history,
        once per event; a senior erased since (or another delivery) gets nothing."""
        envelope, receipt = open_message(body, FamilySmsReceipt)
        senior_id = senior_of_delivery(receipt.delivery_id)
        if senior_id is None or self.store.meals.senior(envelope.tenant, senior_id) is None:
            return
        entry = HistoryEntry(at=receipt.at, by="provider", what=receipt_line(receipt))
        self.store.meals.add_history_once(
            envelope.tenant, senior_id, f"receipt:{envelope.event_id}", entry
        )

    # -- seniors --------------------------------------------------------------------------------
    @rpc(expected_exceptions=MEAL_ERRORS)
    def save_senior(
        self, tenant: str, caller: dict[str, Any], profile: dict[str, Any]
    ) -> dict[str, Any]:
        """Register or replace a senior's profile; pauses and linked families are kept."""
        who = self._dispatcher(caller, "register seniors")
        wanted: SeniorIn = self._valid(SeniorIn, profile)
        problem = self._placed(wanted)
        if problem:
            raise InvalidMessage(problem)
        current = self.store.meals.senior(tenant, wanted.id)
        senior = profiles.replaced(current, wanted)
        what = "profile updated" if current else "profile created"
        self.store.meals.save_seniors(tenant, [(senior, _entry(who.username, what))])
        return senior.model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def import_seniors(self, tenant: str, caller: dict[str, Any], csv_text: str) -> dict[str, Any]:
        """Register the existing register (CSV, see `meals.register`); answers per row. A row
        refused (invalid, off the road graph) changes nothing of the others."""
        who = self._dispatcher(caller, "import seniors")
        try:
            report, valid = import_report(csv_text)
        except ValueError as error:
            raise InvalidMessage(str(error)) from None
        placed = self._place(  # type: ignore[attr-defined]
            [(p.id, f"{p.first_name} {p.last_name}", p.location) for _, p in valid], False
        )
        misplaced = {m.id: m.describe() for m in placed.misplaced}
        changes = []
        for row, profile in valid:
            if profile.id in misplaced:
                report[row] = {**report[row], "status": "refused",
                               "detail": f"senior {misplaced[profile.id]}"}  # fmt: skip
                continue
            current = self.store.meals.senior(tenant, profile.id)
            what = "profile imported" + (" (replaced)" if current else "")
            changes.append((profiles.replaced(current, profile), _entry(who.username, what)))
        self.store.meals.save_seniors(tenant, changes)
        return {
            "imported": len(changes),
            "refused": len(report) - len(changes),
            "rows": report,
        }

    @rpc(expected_exceptions=MEAL_ERRORS)
    def list_seniors(self, tenant: str, caller: dict[str, Any]) -> list[dict[str, Any]]:
        who = self._who(caller)
        if who.role is Role.FAMILY:
            found = [self.store.meals.senior(tenant, i)
                     for i in self.store.meals.family_senior_ids(tenant, who.username)]  # fmt: skip
        else:
            found = list(self.store.meals.seniors(tenant).values())
        return [s.model_dump(mode="json") for s in found if s and profiles.reaches(who, s)]

    @rpc(expected_exceptions=MEAL_ERRORS)
    def get_senior(self, tenant: str, caller: dict[str, Any], senior_id: str) -> dict[str, Any]:
        return self._senior(tenant, self._who(caller), senior_id).model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def set_pause(
        self, tenant: str, caller: dict[str, Any], senior_id: str, pause: dict[str, Any]
    ) -> dict[str, Any]:
        """Pause deliveries (a hospital stay), or extend the pause that starts the same day.
        Deliveries resume by themselves the day after its end."""
        who = self._dispatcher(caller, "pause deliveries")
        senior = self._senior(tenant, who, senior_id)
        wanted: Pause = self._valid(Pause, pause)
        try:
            changed = profiles.with_pause(senior, wanted)
        except ValueError as error:
            raise InvalidMessage(str(error)) from None
        extended = any(p.start == wanted.start for p in senior.pauses)
        what = f"pause {wanted.start} to {wanted.end}" + (" (extended)" if extended else "")
        if wanted.reason:
            what += f": {wanted.reason}"
        self.store.meals.save_seniors(tenant, [(changed, _entry(who.username, what))])
        return changed.model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def link_family(
        self, tenant: str, caller: dict[str, Any], senior_id: str, link: dict[str, Any]
    ) -> dict[str, Any]:
        """Link a family account to the senior (a dispatcher does, after checking who it is)."""
        who = self._dispatcher(caller, "link families")
        senior = self._senior(tenant, who, senior_id)
        wanted: FamilyLink = self._valid(FamilyLink, link)
        changed = profiles.linked(senior, wanted)
        sms = " with SMS" if wanted.notify else ""
        entry = _entry(who.username, f"family {wanted.username} linked{sms}")
        self.store.meals.save_seniors(tenant, [(changed, entry)])
        return changed.model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def unlink_family(
        self, tenant: str, caller: dict[str, Any], senior_id: str, username: str
    ) -> dict[str, Any]:
        who = self._dispatcher(caller, "unlink families")
        senior = self._senior(tenant, who, senior_id)
        if username not in senior.family_usernames:
            raise NotFound(f"family {username} is not linked to senior {senior_id}")
        changed = profiles.unlinked(senior, username)
        entry = _entry(who.username, f"family {username} unlinked")
        self.store.meals.save_seniors(tenant, [(changed, entry)], unlinked=[username])
        return changed.model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def senior_history(
        self, tenant: str, caller: dict[str, Any], senior_id: str
    ) -> list[dict[str, Any]]:
        """Every change to the senior's profile and orders: who, when, what."""
        self._senior(tenant, self._who(caller), senior_id)
        return [e.model_dump(mode="json") for e in self.store.meals.history(tenant, senior_id)]

    # -- personal data (RGPD) ------------------------------------------------------------------
    @rpc(expected_exceptions=MEAL_ERRORS)
    def export_senior(self, tenant: str, caller: dict[str, Any], senior_id: str) -> dict[str, Any]:
        """Everything routing holds about the senior: profile (with contacts and families), the
        history, every order and every mark at the door."""
        who = self._dispatcher(caller, "export a senior's data")
        senior = self._senior(tenant, who, senior_id)
        meals = self.store.meals
        return {
            "senior": senior.model_dump(mode="json"),
            "history": [e.model_dump(mode="json") for e in meals.history(tenant, senior_id)],
            "orders": [
                o.model_dump(mode="json") for o in meals.orders_of_senior(tenant, senior_id)
            ],
            "deliveries": meals.marks_of_senior(tenant, senior_id),
        }

    @rpc(expected_exceptions=MEAL_ERRORS)
    def erase_senior(self, tenant: str, caller: dict[str, Any], senior_id: str) -> dict[str, Any]:
        """Erase the senior (see `meals.erasure`): answers how many orders went and how many
        delivered meals stay as anonymous counts."""
        who = self._dispatcher(caller, "erase a senior")
        senior = self._senior(tenant, who, senior_id)
        meals = self.store.meals
        delivered = {
            d for d, m in meals.marks_of_senior(tenant, senior_id).items()
            if m.get("outcome") == "delivered"
        }  # fmt: skip
        orders = [
            (o, erasure.kept_order(o, delivery_id(senior_id, o.day) in delivered,
                                   erasure.anonymous_token()))
            for o in meals.orders_of_senior(tenant, senior_id)
        ]  # fmt: skip
        kept = sum(1 for _, k in orders if k is not None)
        answer = {
            "erased": True,
            "orders_removed": len(orders) - kept,
            "meals_kept_anonymous": kept,
        }
        audit = _entry(who.username, f"a senior was erased ({kept} meals kept anonymous)")
        event = SeniorErasedEvent(senior_id=senior_id, by=who.username, at=audit.at)
        body = make_message(event, tenant=tenant)
        meals.erase_senior(tenant, senior, orders, audit, ("senior_erased", body))
        self._relay()  # type: ignore[attr-defined]
        log.info("a senior was erased by %s (%d anonymous meals kept)", who.username, kept)
        return answer

    @rpc(expected_exceptions=MEAL_ERRORS)
    def senior_erasures(self, tenant: str, caller: dict[str, Any]) -> list[dict[str, Any]]:
        """The audit of erasures: who erased a senior and when, never whom."""
        self._dispatcher(caller, "read the erasures")
        return [e.model_dump(mode="json") for e in self.store.meals.erasures(tenant)]

    # -- settings and menus ---------------------------------------------------------------------
    @rpc(expected_exceptions=MEAL_ERRORS)
    def get_meal_settings(self, tenant: str, caller: dict[str, Any]) -> dict[str, Any]:
        self._who(caller)
        return self.store.meals.settings(tenant).model_dump(mode="json")  # type: ignore[no-any-return]

    @rpc(expected_exceptions=MEAL_ERRORS)
    def set_meal_settings(
        self, tenant: str, caller: dict[str, Any], settings: dict[str, Any]
    ) -> dict[str, Any]:
        self._dispatcher(caller, "change the cutoffs")
        wanted: MealSettings = self._valid(MealSettings, settings)
        self.store.meals.save_settings(tenant, wanted)
        return wanted.model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def publish_menu(
        self, tenant: str, caller: dict[str, Any], menu: dict[str, Any]
    ) -> dict[str, Any]:
        """The kitchen's menu of a week (replaces the week's menu; orders already placed keep
        their dish)."""
        self._dispatcher(caller, "publish menus")
        wanted: WeeklyMenu = self._valid(WeeklyMenu, menu)
        self.store.meals.save_menu(tenant, wanted)
        return wanted.model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def get_menu(self, tenant: str, caller: dict[str, Any], week: str) -> dict[str, Any]:
        self._who(caller)
        monday = ordering.week_of(self._day(week))
        menu = self.store.meals.menu(tenant, monday)
        if menu is None:
            raise NotFound(f"no menu is published for the week of {monday}")
        return menu.model_dump(mode="json")  # type: ignore[no-any-return]

    @staticmethod
    def _day(raw: str) -> dt.date:
        try:
            return dt.date.fromisoformat(raw)
        except (TypeError, ValueError):
            raise InvalidMessage(f"{raw!r} is not a date (YYYY-MM-DD)") from None

    # -- orders ---------------------------------------------------------------------------------
    def _orderer(
        self, tenant: str, caller: dict[str, Any], senior_id: str
    ) -> tuple[Caller, Senior]:
        who = self._who(caller)
        if not (who.tenant_wide or who.role is Role.FAMILY):
            raise Forbidden("only families, dispatchers and admins order meals")
        return who, self._senior(tenant, who, senior_id)

    @rpc(expected_exceptions=MEAL_ERRORS)
    def place_order(
        self, tenant: str, caller: dict[str, Any], senior_id: str, order: dict[str, Any]
    ) -> dict[str, Any]:
        """Order (or change) the meal of a day. Refused with the reason, nothing saved: after
        the cutoff, a paused day or a day without delivery, an unknown choice, a dish against
        the senior's diet, texture or allergies. Publishes `order_placed`."""
        who, senior = self._orderer(tenant, caller, senior_id)
        wanted: OrderIn = self._valid(OrderIn, order)
        settings = self.store.meals.settings(tenant)
        menu = self.store.meals.menu(tenant, ordering.week_of(wanted.day))
        try:
            placed = ordering.place_order(senior, menu, wanted, who.username, now(), settings)
        except ordering.OrderRefused as error:
            raise InvalidMessage(str(error)) from None
        previous = self.store.meals.order(tenant, senior_id, wanted.day)
        verb = "changed" if previous and previous.status == "placed" else "ordered"
        entry = _entry(who.username, f"{wanted.day}: {verb} {placed.choice_name}")
        self._save_order(tenant, placed, entry)
        return ordering.as_seen(placed, now(), settings).model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def cancel_order(
        self, tenant: str, caller: dict[str, Any], senior_id: str, day: str
    ) -> dict[str, Any]:
        who, senior = self._orderer(tenant, caller, senior_id)
        wanted = self._day(day)
        current = self.store.meals.order(tenant, senior_id, wanted)
        if current is None:
            raise NotFound(f"no order for {senior.full_name} on {wanted}")
        settings = self.store.meals.settings(tenant)
        try:
            cancelled = ordering.cancel_order(senior, current, who.username, now(), settings)
        except ordering.OrderRefused as error:
            raise InvalidMessage(str(error)) from None
        entry = _entry(who.username, f"{wanted}: cancelled {current.choice_name}")
        self._save_order(tenant, cancelled, entry)
        return ordering.as_seen(cancelled, now(), settings).model_dump(mode="json")

    def _save_order(self, tenant: str, order: Any, entry: HistoryEntry) -> None:
        event = OrderPlaced(
            senior_id=order.senior_id, day=order.day, choice_id=order.choice_id,
            status=order.status, by=entry.by,
        )  # fmt: skip
        body = make_message(event, tenant=tenant)
        self.store.meals.save_order(tenant, order, entry, ("order_placed", body))
        self._relay()  # type: ignore[attr-defined]

    @rpc(expected_exceptions=MEAL_ERRORS)
    def senior_orders(
        self, tenant: str, caller: dict[str, Any], senior_id: str, week: str
    ) -> list[dict[str, Any]]:
        """The senior's orders of the week, each saying whether it can still change and why
        not."""
        self._senior(tenant, self._who(caller), senior_id)
        monday = ordering.week_of(self._day(week))
        settings = self.store.meals.settings(tenant)
        found = []
        for offset in range(7):
            order = self.store.meals.order(tenant, senior_id, monday + dt.timedelta(days=offset))
            if order is not None:
                found.append(ordering.as_seen(order, now(), settings).model_dump(mode="json"))
        return found
