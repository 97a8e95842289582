"""The meals' state in Redis, under `routing:<tenant>:`: seniors, menus, orders, each senior's
history, the day's marks at the door and the live tracking of the rounds.

Every change and the event it publishes go in one transaction with the outbox (DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any

import redis

from contracts.meals import HistoryEntry, MealSettings, Order, Senior, WeeklyMenu
from services.common import outbox
from services.routing.meals.day import delivery_id
from services.routing.meals.erasure import anonymous_token, scrubbed

PREFIX = "routing"
# Tracking state of a round is worth nothing after a couple of days.
TRACKING_TTL_S = 3 * 86_400
# An event already written into a history is remembered this long (redeliveries come sooner).
SEEN_TTL_S = 7 * 86_400
Event = tuple[str, dict[str, Any]]  # (event type, envelope body)


class AlreadyMarked(RuntimeError):
    """The delivery was already marked (delivered, absent or refused)."""

    def __init__(self, outcome: str, at: str, by: str) -> None:
        super().__init__(f"already marked {outcome} at {at} by {by}")
        self.outcome = outcome


class MealsStore:
    def __init__(self, client: redis.Redis, outbox_prefix: str) -> None:
        self.client = client
        self.outbox_prefix = outbox_prefix

    def _k(self, tenant: str, *parts: str) -> str:
        return ":".join((PREFIX, tenant, *parts))

    def _history(self, pipe: Any, tenant: str, senior_id: str, entry: HistoryEntry) -> None:
        pipe.rpush(self._k(tenant, "senior-history", senior_id), entry.model_dump_json())

    def _events(self, pipe: Any, events: Iterable[Event]) -> None:
        for event_type, body in events:
            outbox.append(pipe, self.outbox_prefix, event_type, body)

    # -- settings -------------------------------------------------------------------------------
    def settings(self, tenant: str) -> MealSettings:
        raw = self.client.get(self._k(tenant, "meal-settings"))
        return MealSettings() if raw is None else MealSettings.model_validate_json(raw)

    def save_settings(self, tenant: str, settings: MealSettings) -> None:
        self.client.set(self._k(tenant, "meal-settings"), settings.model_dump_json())

    # -- seniors --------------------------------------------------------------------------------
    def senior(self, tenant: str, senior_id: str) -> Senior | None:
        raw = self.client.hget(self._k(tenant, "seniors"), senior_id)
        return None if raw is None else Senior.model_validate_json(raw)

    def seniors(self, tenant: str) -> dict[str, Senior]:
        raw = self.client.hgetall(self._k(tenant, "seniors"))
        return {k: Senior.model_validate_json(v) for k, v in sorted(raw.items())}

    def seniors_by_id(self, tenant: str, ids: Iterable[str]) -> dict[str, Senior]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        raw = self.client.hmget(self._k(tenant, "seniors"), wanted)
        return {i: Senior.model_validate_json(v) for i, v in zip(wanted, raw, strict=True) if v}

    def save_seniors(
        self, tenant: str, changes: list[tuple[Senior, HistoryEntry]], unlinked: Iterable[str] = ()
    ) -> None:
        """Save profiles with their history entries; keep each family's index of seniors."""
        with self.client.pipeline(transaction=True) as pipe:
            for senior, entry in changes:
                pipe.hset(self._k(tenant, "seniors"), senior.id, senior.model_dump_json())
                for family in senior.family_usernames:
                    pipe.sadd(self._k(tenant, "family-seniors", family), senior.id)
                for family in unlinked:
                    pipe.srem(self._k(tenant, "family-seniors", family), senior.id)
                self._history(pipe, tenant, senior.id, entry)
            pipe.execute()

    def family_senior_ids(self, tenant: str, username: str) -> list[str]:
        return sorted(self.client.smembers(self._k(tenant, "family-seniors", username)))

    def history(self, tenant: str, senior_id: str) -> list[HistoryEntry]:
        raw = self.client.lrange(self._k(tenant, "senior-history", senior_id), 0, -1)
        return [HistoryEntry.model_validate_json(item) for item in raw]

    def add_history_once(self, tenant: str, senior_id: str, key: str, entry: HistoryEntry) -> bool:
        """Append an entry that an event brings, once per `key` (its event id: the broker may
        deliver it again); False when it was already there."""
        seen = self._k(tenant, "history-seen", key)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(seen)
                    if pipe.exists(seen):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.set(seen, "1", ex=SEEN_TTL_S)
                    self._history(pipe, tenant, senior_id, entry)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    # -- menus ----------------------------------------------------------------------------------
    def menu(self, tenant: str, week: dt.date) -> WeeklyMenu | None:
        raw = self.client.get(self._k(tenant, "menu", week.isoformat()))
        return None if raw is None else WeeklyMenu.model_validate_json(raw)

    def save_menu(self, tenant: str, menu: WeeklyMenu) -> None:
        self.client.set(self._k(tenant, "menu", menu.week.isoformat()), menu.model_dump_json())

    # -- orders ---------------------------------------------------------------------------------
    def order(self, tenant: str, senior_id: str, day: dt.date) -> Order | None:
        raw = self.client.hget(self._k(tenant, "orders", day.isoformat()), senior_id)
        return None if raw is None else Order.model_validate_json(raw)

    def orders_of_day(self, tenant: str, day: dt.date) -> list[Order]:
        raw = self.client.hvals(self._k(tenant, "orders", day.isoformat()))
        return sorted((Order.model_validate_json(v) for v in raw), key=lambda o: o.senior_id)

    def save_order(self, tenant: str, order: Order, entry: HistoryEntry, event: Event) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(
                self._k(tenant, "orders", order.day.isoformat()),
                order.senior_id,
                order.model_dump_json(),
            )
            self._history(pipe, tenant, order.senior_id, entry)
            self._events(pipe, [event])
            pipe.execute()

    # -- the day --------------------------------------------------------------------------------
    def set_day_round(self, tenant: str, day: str, plan: dict[str, Any]) -> None:
        """The day's current meal plan (the last one a dispatcher made), with each vehicle's
        part and which vehicle carries each delivery: positions and families' questions read
        these small pieces, not the whole plan."""
        round_id = plan["round_id"]
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._k(tenant, "meal-day", day), round_id)
            stops_key = self._k(tenant, "meal-stops", day)
            pipe.delete(stops_key)
            for vehicle in plan["vehicles"]:
                part = json.dumps({**vehicle, "date": str(plan["date"])})
                pipe.hset(self._k(tenant, "meal-vehicles", round_id), vehicle["vehicle_id"], part)
                for stop in vehicle["stops"]:
                    pipe.hset(stops_key, stop["id"], f"{round_id}|{vehicle['vehicle_id']}")
            pipe.execute()

    def day_vehicle(self, tenant: str, round_id: str, vehicle_id: str) -> dict[str, Any] | None:
        """A vehicle's part of a day plan (set by `set_day_round`), or None."""
        raw = self.client.hget(self._k(tenant, "meal-vehicles", round_id), vehicle_id)
        return None if raw is None else dict(json.loads(raw))

    def carrier(self, tenant: str, day: str, delivery: str) -> tuple[str, str] | None:
        """(round id, vehicle id) of the day's current plan that carries `delivery`."""
        raw = self.client.hget(self._k(tenant, "meal-stops", day), delivery)
        if raw is None:
            return None
        round_id, vehicle_id = str(raw).split("|", 1)
        return round_id, vehicle_id

    def day_round(self, tenant: str, day: str) -> str | None:
        found = self.client.get(self._k(tenant, "meal-day", day))
        return None if found is None else str(found)

    # -- the door -------------------------------------------------------------------------------
    def marks(self, tenant: str, day: str) -> dict[str, dict[str, str]]:
        raw = self.client.hgetall(self._k(tenant, "marks", day))
        return {k: json.loads(v) for k, v in raw.items()}

    def mark(
        self,
        tenant: str,
        day: str,
        delivery_id: str,
        mark: dict[str, str],
        senior_id: str,
        entry: HistoryEntry,
        events: list[Event],
        then: Callable[[dict[str, dict[str, str]]], list[Event]] | None = None,
    ) -> list[Event]:
        """Record what happened at the door once; a second mark raises AlreadyMarked and changes
        nothing (the events go out only with the first). `then` sees the day's marks with this
        one, under the same watch, and returns more events to publish in the same transaction
        (the round this mark completes): two last marks racing cannot both see it complete.
        Returns those further events."""
        key = self._k(tenant, "marks", day)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.hgetall(key)
                    if delivery_id in raw:
                        pipe.unwatch()
                        found = json.loads(raw[delivery_id])
                        raise AlreadyMarked(found["outcome"], found["at"], found["by"])
                    after = {k: json.loads(v) for k, v in raw.items()}
                    after[delivery_id] = mark
                    more = then(after) if then is not None else []
                    pipe.multi()
                    pipe.hset(key, delivery_id, json.dumps(mark))
                    pipe.expire(key, TRACKING_TTL_S * 30)
                    self._history(pipe, tenant, senior_id, entry)
                    self._events(pipe, [*events, *more])
                    pipe.execute()
                    return more
                except redis.WatchError:
                    continue

    # -- personal data (RGPD) ------------------------------------------------------------------
    def _days_of(self, tenant: str, kind: str) -> list[str]:
        prefix = self._k(tenant, kind, "")
        return sorted(k[len(prefix) :] for k in self.client.scan_iter(match=f"{prefix}*"))

    def orders_of_senior(self, tenant: str, senior_id: str) -> list[Order]:
        """Every order of the senior, on any day, oldest first."""
        found = []
        for day in self._days_of(tenant, "orders"):
            raw = self.client.hget(self._k(tenant, "orders", day), senior_id)
            if raw is not None:
                found.append(Order.model_validate_json(raw))
        return found

    def marks_of_senior(self, tenant: str, senior_id: str) -> dict[str, dict[str, str]]:
        """The senior's marks at the door by delivery id, on any day."""
        found = {}
        for day in self._days_of(tenant, "marks"):
            delivery = delivery_id(senior_id, dt.date.fromisoformat(day))
            raw = self.client.hget(self._k(tenant, "marks", day), delivery)
            if raw is not None:
                found[delivery] = json.loads(raw)
        return found

    def erase_senior(
        self,
        tenant: str,
        senior: Senior,
        orders: list[tuple[Order, Order | None]],
        audit: HistoryEntry,
        event: Event,
    ) -> None:
        """Remove the senior and everything that names them, in one transaction; each order
        goes, or is replaced by its anonymous count (the kept one), its mark moving with it."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hdel(self._k(tenant, "seniors"), senior.id)
            for family in senior.family_usernames:
                pipe.srem(self._k(tenant, "family-seniors", family), senior.id)
            pipe.delete(self._k(tenant, "senior-history", senior.id))
            for order, kept in orders:
                day = order.day.isoformat()
                pipe.hdel(self._k(tenant, "orders", day), senior.id)
                delivery = delivery_id(senior.id, order.day)
                pipe.hdel(self._k(tenant, "meal-stops", day), delivery)
                mark = self.client.hget(self._k(tenant, "marks", day), delivery)
                token = kept.senior_id if kept is not None else anonymous_token()
                anonymous = delivery_id(token, order.day)
                self._rename_in_tracking(pipe, tenant, day, delivery, anonymous)
                self._scrub_plans(pipe, tenant, day, delivery, anonymous)
                pipe.hdel(self._k(tenant, "marks", day), delivery)
                if kept is not None:
                    pipe.hset(
                        self._k(tenant, "orders", day), kept.senior_id, kept.model_dump_json()
                    )
                    if mark is not None:
                        anonymous = delivery_id(kept.senior_id, order.day)
                        pipe.hset(self._k(tenant, "marks", day), anonymous, mark)
            # The audit keeps that an erasure happened, by whom and when, not whom it erased.
            pipe.rpush(self._k(tenant, "erasures"), audit.model_dump_json())
            self._events(pipe, [event])
            pipe.execute()

    def erasures(self, tenant: str) -> list[HistoryEntry]:
        raw = self.client.lrange(self._k(tenant, "erasures"), 0, -1)
        return [HistoryEntry.model_validate_json(item) for item in raw]

    def _rename_in_tracking(
        self, pipe: Any, tenant: str, day: str, delivery: str, anonymous: str
    ) -> None:
        """The live tracking of the van that carried the delivery names it (order, ETAs): it
        gets the anonymous id instead."""
        carrier = self.carrier(tenant, day, delivery)
        if carrier is None:
            return
        key = self._tracking_key(tenant, *carrier)
        named = json.dumps(delivery)
        # The road drawn to a senior's door ends at their address: it goes with them.
        pipe.hdel(key, "path")
        for field, value in self.client.hgetall(key).items():
            if field == "path":
                continue
            if named in value:
                pipe.hset(key, field, value.replace(named, json.dumps(anonymous)))

    def _scrub_plans(self, pipe: Any, tenant: str, day: str, delivery: str, anonymous: str) -> None:
        """The day's stored plans (and each vehicle's part of them) keep the delivery only
        anonymous: no name, no address, no point (see `erasure.scrubbed`)."""
        for round_id in self.client.smembers(self._k(tenant, "rounds", day)):
            key = self._k(tenant, "round", round_id)
            stored = self.client.hgetall(key)
            if not stored or delivery not in stored.get("plan", ""):
                continue
            request = json.loads(stored.get("request") or "{}")
            kitchen = request.get("kitchen") or [0.0, 0.0]
            pipe.hset(key, mapping={
                k: json.dumps(scrubbed(json.loads(v), delivery, anonymous, kitchen))
                for k, v in stored.items()
            })  # fmt: skip
            parts_key = self._k(tenant, "meal-vehicles", round_id)
            for vehicle, part in self.client.hgetall(parts_key).items():
                if delivery in part:
                    clean = scrubbed(json.loads(part), delivery, anonymous, kitchen)
                    pipe.hset(parts_key, vehicle, json.dumps(clean))

    # -- live tracking --------------------------------------------------------------------------
    def _tracking_key(self, tenant: str, round_id: str, vehicle_id: str) -> str:
        return self._k(tenant, "tracking", round_id, vehicle_id)

    def tracking(self, tenant: str, round_id: str, vehicle_id: str) -> dict[str, Any]:
        raw = self.client.hgetall(self._tracking_key(tenant, round_id, vehicle_id))
        return {k: json.loads(v) for k, v in raw.items()}

    def start_tracking(
        self, tenant: str, round_id: str, vehicle_id: str, started: dict[str, Any]
    ) -> bool:
        """Start the round once (True); a second start keeps the first (False)."""
        key = self._tracking_key(tenant, round_id, vehicle_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, "started", json.dumps(started))
            pipe.expire(key, TRACKING_TTL_S)
            first, _ = pipe.execute()
        return bool(first)

    def started_vehicles(self, tenant: str, round_id: str, vehicle_ids: Iterable[str]) -> set[str]:
        """Which of the round's vehicles were started by their driver."""
        wanted = list(vehicle_ids)
        with self.client.pipeline(transaction=False) as pipe:
            for vehicle_id in wanted:
                pipe.hexists(self._tracking_key(tenant, round_id, vehicle_id), "started")
            found = pipe.execute()
        return {v for v, started in zip(wanted, found, strict=True) if started}

    def save_tracking(
        self,
        tenant: str,
        round_id: str,
        vehicle_id: str,
        fields: dict[str, Any],
        events: list[Event],
    ) -> None:
        key = self._tracking_key(tenant, round_id, vehicle_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={k: json.dumps(v) for k, v in fields.items()})
            pipe.expire(key, TRACKING_TTL_S)
            self._events(pipe, events)
            pipe.execute()

    def tracked_vehicles(self) -> list[str]:
        """The keys of every vehicle's tracking, all tenants of the deployment."""
        return sorted(self.client.scan_iter(match=self._k("*", "tracking", "*")))

    def forget_position(self, key: str, at: str) -> bool:
        """Drop the vehicle's position if it is still the one seen at `at` (a newer one that came
        meanwhile stays)."""
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                raw = pipe.hget(key, "position")
                if raw is None or json.loads(raw).get("at") != at:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.hdel(key, "position", "heading_to", "path")
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def position_at(self, key: str) -> str | None:
        raw = self.client.hget(key, "position")
        return None if raw is None else str(json.loads(raw)["at"])
