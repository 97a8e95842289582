"""Routing's entrypoints for the day of meals (issue 11), mixed into RoutingService: plan the
day's rounds from the orders, the kitchen sheet, the driver at the door, positions and live ETAs,
and what a family sees. Thin: the pure work is in `meals/` and `tracking/`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nameko.rpc import rpc

from contracts.identity import Caller
from contracts.meals import DayPlanRequest, DeliveryMark, FamilyTracking, Position, Senior
from contracts.meals_events import DeliveryEtaUpdated
from contracts.rounds import MealRoundRequest, minutes_of
from contracts.users import Role
from services.common.errors import Conflict, NotFound
from services.common.events import InvalidMessage, make_message
from services.common.request_id import identified_rpc, object_suffix
from services.routing.deliveries import day_of, vehicles_for
from services.routing.entry_checks import PLAN_ERRORS
from services.routing.jobs import meal_job
from services.routing.jobs.tracking_job import legs_job, path_job, to_stops_job
from services.routing.meals import doorstep, profiles, round_state
from services.routing.meals.cutoff import PARIS
from services.routing.meals.day import (
    day_of_delivery,
    deliveries_of_day,
    delivery_id,
    senior_of_delivery,
)
from services.routing.meals.kitchen import kitchen_sheet
from services.routing.meals_entrypoints import MEAL_ERRORS, MealsEntrypoints, _entry
from services.routing.meals_store import AlreadyMarked
from services.routing.tracking.etas import RemainingStop, legs_between, moved, remaining_etas

SERVICE_S = 120.0  # DeliveryIn's default service time: two minutes at the door


def _seconds_of_day(moment: dt.datetime) -> float:
    local = moment.astimezone(PARIS)
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def _at(day: dt.date, seconds: float) -> dt.datetime:
    midnight = dt.datetime.combine(day, dt.time(0, 0), tzinfo=PARIS)
    return (midnight + dt.timedelta(seconds=round(seconds))).astimezone(PARIS)


class DayEntrypoints(MealsEntrypoints):
    # -- the day's plan -------------------------------------------------------------------------
    @identified_rpc(expected_exceptions=MEAL_ERRORS)
    def plan_meal_day(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """One click: the day's orders become deliveries and are planned on the given vehicles.
        Deliveries already marked at the door are not planned again; orders left out are in
        `skipped` with why; deliveries the optimiser cannot place are `unserved`, named."""
        self._dispatcher(caller, "plan rounds")
        wanted: DayPlanRequest = self._valid(DayPlanRequest, request)
        day = wanted.date.isoformat()
        seniors = self.store.meals.seniors(tenant)
        settings = self.store.meals.settings(tenant)
        orders = self.store.meals.orders_of_day(tenant, wanted.date)
        deliveries, left_out = deliveries_of_day(wanted.date, orders, seniors, settings)
        marks = self.store.meals.marks(tenant, day)
        left_out += [{"id": d.id, "reason": f"already {marks[d.id]['outcome']}"}
                     for d in deliveries if d.id in marks]  # fmt: skip
        deliveries = [d for d in deliveries if d.id not in marks]
        if not deliveries:
            raise InvalidMessage(f"no meal to deliver on {day}: no order is placed for that day")
        meal_request = MealRoundRequest(
            date=wanted.date, kitchen=wanted.kitchen, deliveries=deliveries,
            vehicles=wanted.vehicles, time_limit_s=wanted.time_limit_s,
        ).model_dump(mode="json")  # fmt: skip
        router, executor = self._road()  # type: ignore[attr-defined]
        round_id = f"meals-{day}-{object_suffix(self.request_id)}"  # type: ignore[attr-defined]
        try:
            plan = executor.submit(
                meal_job.plan_meals_job, router.graph.version, meal_request, round_id
            ).result()
        except PLAN_ERRORS as error:
            raise InvalidMessage(str(error)) from None
        plan = {**plan, "skipped": [*plan.get("skipped", []), *left_out]}
        saved = self._keep_new_plan(tenant, plan, meal_request)  # type: ignore[attr-defined]
        self.store.meals.set_day_round(tenant, day, saved)
        return saved  # type: ignore[no-any-return]

    def _day_plan(self, tenant: str, day: str) -> dict[str, Any] | None:
        round_id = self.store.meals.day_round(tenant, day)
        found = self.store.rounds.get(tenant, round_id) if round_id else None
        return None if found is None else found[0]  # type: ignore[no-any-return]

    @rpc(expected_exceptions=MEAL_ERRORS)
    def get_meal_day(self, tenant: str, caller: dict[str, Any], day: str) -> dict[str, Any]:
        """The day's current meal plan (the last one planned), or NotFound."""
        self._dispatcher(caller, "read the day's plan")
        plan = self._day_plan(tenant, self._day(day).isoformat())
        if plan is None:
            raise NotFound(f"no meal round is planned for {day}")
        return self._stated(tenant, plan)

    def _stated(self, tenant: str, plan: dict[str, Any]) -> dict[str, Any]:
        """A meal plan with the state of each vehicle's round and its own (waste: as is)."""
        if plan.get("kind") != "meals":
            return plan
        vehicles = [v["vehicle_id"] for v in plan["vehicles"]]
        started = self.store.meals.started_vehicles(tenant, plan["round_id"], vehicles)
        marks = self.store.meals.marks(tenant, str(plan["date"]))
        return round_state.with_state(plan, marks, started)

    @rpc(expected_exceptions=MEAL_ERRORS)
    def get_kitchen_sheet(self, tenant: str, caller: dict[str, Any], day: str) -> dict[str, Any]:
        """Counts by meal, diet and texture, per round of the day's current plan."""
        self._dispatcher(caller, "read the kitchen sheet")
        wanted = self._day(day)
        plan = self._day_plan(tenant, day)
        orders = self.store.meals.orders_of_day(tenant, wanted)
        sheet = kitchen_sheet(wanted, orders, [plan] if plan else [])
        return sheet.model_dump(mode="json")

    # -- the driver -----------------------------------------------------------------------------
    def _driven(
        self, tenant: str, who: Caller, round_id: str, vehicle_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The round and the vehicle the caller drives in it (dispatchers: any); else NotFound."""
        found = self.store.rounds.get(tenant, round_id)
        if found is not None and found[0]["kind"] == "meals":
            for vehicle in vehicles_for(who, found[0]):
                if vehicle["vehicle_id"] == vehicle_id:
                    return found[0], vehicle
        raise NotFound(f"no vehicle {vehicle_id} of yours on round {round_id}")

    def _driven_fast(
        self, tenant: str, who: Caller, round_id: str, vehicle_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """`_driven` from the vehicle's own part of the day plan when there is one (a position
        every few seconds from every van must not read the whole plan)."""
        vehicle = self.store.meals.day_vehicle(tenant, round_id, vehicle_id)
        if vehicle is None:
            return self._driven(tenant, who, round_id, vehicle_id)
        if not (who.tenant_wide or vehicle.get("driver") == who.username):
            raise NotFound(f"no vehicle {vehicle_id} of yours on round {round_id}")
        return {"round_id": round_id, "date": vehicle["date"], "kind": "meals"}, vehicle

    def _seniors_of(self, tenant: str, stops: list[dict[str, Any]]) -> dict[str, Senior]:
        """Only the seniors these stops deliver (not the whole register)."""
        ids = [senior_of_delivery(s["id"]) for s in stops]
        return self.store.meals.seniors_by_id(tenant, [i for i in ids if i])  # type: ignore[no-any-return]

    def _view(self, tenant: str, plan: dict[str, Any], vehicle: dict[str, Any]) -> dict[str, Any]:
        day = dt.date.fromisoformat(str(plan["date"]))
        tracking = self.store.meals.tracking(tenant, plan["round_id"], vehicle["vehicle_id"])
        orders = {o.senior_id: o for o in self.store.meals.orders_of_day(tenant, day)}
        view = doorstep.driver_round(
            plan, vehicle, self._seniors_of(tenant, vehicle["stops"]), orders,
            self.store.meals.marks(tenant, day.isoformat()), tracking.get("etas", {}),
            "started" in tracking,
        )  # fmt: skip
        return view.model_dump(mode="json")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def driver_round(
        self, tenant: str, caller: dict[str, Any], round_id: str, vehicle_id: str
    ) -> dict[str, Any]:
        """The vehicle's stops with door notes and the meal, marks and ETAs; the next stop."""
        plan, vehicle = self._driven(tenant, self._who(caller), round_id, vehicle_id)
        return self._view(tenant, plan, vehicle)

    @rpc(expected_exceptions=MEAL_ERRORS)
    def start_round(
        self, tenant: str, caller: dict[str, Any], round_id: str, vehicle_id: str
    ) -> dict[str, Any]:
        """The driver sets off: the road times between the stops are computed once, here, for
        the live ETAs. Starting again changes nothing."""
        who = self._who(caller)
        plan, vehicle = self._driven(tenant, who, round_id, vehicle_id)
        stops = [s for s in vehicle["stops"] if s.get("kind", "delivery") == "delivery"]
        router, executor = self._road()  # type: ignore[attr-defined]
        legs = executor.submit(
            legs_job, router.graph.version, [tuple(s["location"]) for s in stops]
        ).result()
        started = {"by": who.username, "at": dt.datetime.now(PARIS).isoformat()}
        if self.store.meals.start_tracking(tenant, round_id, vehicle_id, started):
            order = [s["id"] for s in stops]
            self.store.meals.save_tracking(
                tenant, round_id, vehicle_id, {"legs": legs, "order": order}, []
            )
        return self._view(tenant, plan, vehicle)

    def _delivery(
        self, tenant: str, who: Caller, delivery: str, day: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        plan = self._day_plan(tenant, day)
        if plan is not None:
            for vehicle in vehicles_for(who, plan):
                if any(s["id"] == delivery for s in vehicle["stops"]):
                    return plan, vehicle
        raise NotFound(f"no delivery {delivery} on a round that you drive")

    @rpc(expected_exceptions=MEAL_ERRORS)
    def mark_delivery(
        self, tenant: str, caller: dict[str, Any], delivery: str, mark: dict[str, Any]
    ) -> dict[str, Any]:
        """*livré*, *absent* or *refusé* at the door, once: a second mark is a Conflict and
        changes nothing. Publishes `delivery_completed`, or `delivery_failed` (absent: reason
        `no_answer`, which opens the welfare check) with the contacts and the families' SMS."""
        who = self._who(caller)
        wanted: DeliveryMark = self._valid(DeliveryMark, mark)
        # The day is the delivery's own (a mark sent late, after midnight, still counts).
        named = day_of_delivery(delivery)
        day = named.isoformat() if named else day_of(wanted.at)
        plan, vehicle = self._delivery(tenant, who, delivery, day)
        senior = doorstep.senior_of_stop(
            delivery, self._seniors_of(tenant, [{"id": delivery}]), dt.date.fromisoformat(day)
        )
        if senior is None:
            raise NotFound(f"no delivery {delivery} on a round that you drive")
        event_type, event = doorstep.door_event(
            senior, delivery, plan["round_id"], day, wanted, who.username
        )
        record = {"outcome": wanted.outcome, "at": wanted.at.isoformat(), "by": who.username,
                  "round_id": plan["round_id"], "vehicle_id": vehicle["vehicle_id"]}  # fmt: skip
        entry = _entry(who.username, f"{day}: {wanted.outcome} ({delivery})")
        body = make_message(event, tenant=tenant)
        stop_ids = round_state.delivery_stops(vehicle)

        def finished(marks: dict[str, dict[str, str]]) -> list[tuple[str, dict[str, Any]]]:
            """`round_completed` when this mark is the vehicle's last (seen under the watch)."""
            before = {k: v for k, v in marks.items() if k != delivery}
            if not round_state.completes(stop_ids, before, delivery):
                return []
            done = round_state.round_completed(plan["round_id"], vehicle, day, marks)
            return [("round_completed", make_message(done, tenant=tenant))]

        try:
            self.store.meals.mark(
                tenant, day, delivery, record, senior.id, entry, [(event_type, body)], finished
            )
        except AlreadyMarked as error:
            raise Conflict(f"delivery {delivery} was {error}; nothing changed") from None
        self._relay()  # type: ignore[attr-defined]
        return self._view(tenant, plan, vehicle)

    @rpc(expected_exceptions=MEAL_ERRORS)
    def record_position(
        self, tenant: str, caller: dict[str, Any], round_id: str, position: dict[str, Any]
    ) -> dict[str, Any]:
        """A position of the vehicle, from its driver only (anyone else: NotFound). Recomputes
        the remaining stops' ETAs on the road graph and publishes `delivery_eta_updated` for
        those that moved by more than two minutes. A position older than the last one (queued
        offline) is kept out of the ETAs."""
        who = self._who(caller)
        wanted: Position = self._valid(Position, position)
        if who.role is not Role.DRIVER:
            raise NotFound(f"no vehicle {wanted.vehicle_id} of yours on round {round_id}")
        plan, vehicle = self._driven_fast(tenant, who, round_id, wanted.vehicle_id)
        tracking = self.store.meals.tracking(tenant, round_id, wanted.vehicle_id)
        if "started" not in tracking:
            raise Conflict(f"round {round_id} is not started: start it first")
        last = tracking.get("position")
        if last and dt.datetime.fromisoformat(last["at"]) >= wanted.at:
            return {"accepted": True, "used": False, "moved": []}
        day = dt.date.fromisoformat(str(plan["date"]))
        marks = self.store.meals.marks(tenant, day.isoformat())
        order: list[str] = tracking["order"]
        stops = {s["id"]: s for s in vehicle["stops"]}
        remaining = [i for i in order if i not in marks]
        fields: dict[str, Any] = {
            "position": {"location": list(wanted.location), "at": wanted.at.isoformat()},
            "heading_to": remaining[0] if remaining else None,
        }
        if not remaining:
            self.store.meals.save_tracking(tenant, round_id, wanted.vehicle_id, fields, [])
            return {"accepted": True, "used": True, "moved": []}
        router, executor = self._road()  # type: ignore[attr-defined]
        to_next = executor.submit(
            to_stops_job, router.graph.version, tuple(wanted.location),
            [tuple(stops[remaining[0]]["location"])],
        ).result()[0]  # fmt: skip
        legs = legs_between(order, tracking["legs"], remaining)
        etas_s = remaining_etas(
            _seconds_of_day(wanted.at), to_next, legs,
            [RemainingStop(i, minutes_of(stops[i].get("window_start") or "00:00") * 60, SERVICE_S)
             for i in remaining],
        )  # fmt: skip
        published = tracking.get("published", {})
        changed = moved(published, etas_s)
        seniors = self._seniors_of(tenant, [{"id": i} for i in changed])
        events = []
        for stop_id in changed:
            senior = doorstep.senior_of_stop(stop_id, seniors, day)
            if senior is None:
                continue
            events.append(("delivery_eta_updated", make_message(
                self._eta_event(senior, stop_id, plan, wanted, etas_s, remaining), tenant=tenant
            )))  # fmt: skip
        published = {**{k: v for k, v in published.items() if k in etas_s},
                     **{k: etas_s[k] for k in changed}}  # fmt: skip
        fields["published"] = published
        fields["etas"] = {k: _at(day, v).isoformat() for k, v in etas_s.items()}
        self.store.meals.save_tracking(tenant, round_id, wanted.vehicle_id, fields, events)
        self._relay()  # type: ignore[attr-defined]
        return {"accepted": True, "used": True, "moved": changed}

    @staticmethod
    def _eta_event(
        senior: Senior, stop_id: str, plan: dict[str, Any], position: Position,
        etas_s: dict[str, float], remaining: list[str],
    ) -> DeliveryEtaUpdated:  # fmt: skip
        day = dt.date.fromisoformat(str(plan["date"]))
        return DeliveryEtaUpdated(
            delivery_id=stop_id,
            senior_id=senior.id,
            senior_first_name=senior.first_name,
            commune=senior.commune,
            round_id=plan["round_id"],
            vehicle_id=position.vehicle_id,
            day=day.isoformat(),
            eta=_at(day, etas_s[stop_id]),
            stops_before=remaining.index(stop_id),
            computed_at=position.at,
            notify=profiles.notices(senior),
        )

    # -- the family -----------------------------------------------------------------------------
    @rpc(expected_exceptions=MEAL_ERRORS)
    def track_delivery(
        self, tenant: str, caller: dict[str, Any], senior_id: str, day: str
    ) -> dict[str, Any]:
        """What the family sees of the day's delivery: its state, the ETA, how many stops come
        before, and the vehicle only once it is heading to this senior. Never another senior's
        address."""
        who = self._who(caller)
        senior = self._senior(tenant, who, senior_id)
        wanted = self._day(day)
        order = self.store.meals.order(tenant, senior_id, wanted)
        if order is None or order.status != "placed":
            return FamilyTracking(senior_id=senior.id, day=wanted, status="not_ordered").model_dump(
                mode="json"
            )
        mine = delivery_id(senior.id, wanted)
        mark = self.store.meals.marks(tenant, day).get(mine)
        if mark is not None:
            return FamilyTracking(
                senior_id=senior.id, day=wanted, status=mark["outcome"]
            ).model_dump(mode="json")
        carrier = self.store.meals.carrier(tenant, day, mine)
        if carrier is None:
            return FamilyTracking(senior_id=senior.id, day=wanted, status="not_planned").model_dump(
                mode="json"
            )
        tracking = self.store.meals.tracking(tenant, *carrier)
        etas = tracking.get("etas", {})
        remaining = [i for i in etas if i in etas]
        before = remaining.index(mine) if mine in remaining else None
        heading = tracking.get("heading_to") == mine and "position" in tracking
        return FamilyTracking(
            senior_id=senior.id, day=wanted, status="pending", eta=etas.get(mine),
            stops_before=before,
            vehicle=tracking["position"]["location"] if heading else None,
            path=self._path(tenant, carrier, tracking, senior) if heading else None,
        ).model_dump(mode="json")  # fmt: skip

    def _path(
        self, tenant: str, carrier: tuple[str, str], tracking: dict[str, Any], senior: Senior
    ) -> list[list[float]]:
        """The vehicle's road to `senior` from its last position: one route on the graph per
        position, computed when a family first looks, then kept beside that position."""
        position = tracking["position"]
        kept = tracking.get("path")
        if kept and kept.get("at") == position["at"] and kept.get("to") == senior.id:
            return kept["points"]  # type: ignore[no-any-return]
        router, executor = self._road()  # type: ignore[attr-defined]
        points = executor.submit(
            path_job, router.graph.version, tuple(position["location"]), tuple(senior.location)
        ).result()
        fields = {"path": {"at": position["at"], "to": senior.id, "points": points}}
        self.store.meals.save_tracking(tenant, *carrier, fields, [])
        return points  # type: ignore[no-any-return]
