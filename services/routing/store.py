"""The routing service's state in Redis, under `routing:<tenant>:`."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from contracts.deliveries import DeliveryFailed, DeliveryFailureReport
from services.common import outbox
from services.common.settings import Settings, deployment_of
from services.routing.meals_store import MealsStore

PREFIX = "routing"
DAY_S = 86_400


class RoutingStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        # One outbox per deployment: another deployment's routing never relays our events.
        self.outbox_prefix = f"{PREFIX}:_:{deployment_of(settings.amqp_uri)}"
        self.rounds = RoundsStore(client, self.outbox_prefix)
        self.containers = ContainersStore(client, settings.readings_retention_days * DAY_S)
        self.meals = MealsStore(client, self.outbox_prefix)

    def claim_daily(self, job: str, day: str) -> bool:
        """True for the first instance of the deployment to ask for `job` on `day`."""
        key = f"{self.outbox_prefix}:daily:{job}:{day}"
        return bool(self.client.set(key, "1", nx=True, ex=2 * 86400))

    def _delivery_key(self, tenant: str, delivery_id: str) -> str:
        return f"{PREFIX}:{tenant}:delivery:{delivery_id}"

    def record_delivery_failure(
        self,
        tenant: str,
        report: DeliveryFailureReport,
        day: str,
        reported_by: str,
        event_body: dict[str, Any],
    ) -> bool:
        """Mark the delivery failed and queue `delivery_failed`, once per delivery and day.

        Returns False when a failure of this delivery was already recorded that day (a retried
        request, or a second report at another time), in which case no second event is queued.
        """
        key = self._delivery_key(tenant, report.delivery_id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.hget(key, "failed_day") == day:
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.hset(
                        key,
                        mapping={
                            "status": "failed",
                            "failed_day": day,
                            "failed_attempt": report.attempted_at.isoformat(),
                            "reason": report.reason,
                            "commune": report.commune,
                            "reported_by": reported_by,
                        },
                    )
                    outbox.append(pipe, self.outbox_prefix, "delivery_failed", event_body)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def delivery_status(self, tenant: str, delivery_id: str) -> dict[str, str]:
        return dict(self.client.hgetall(self._delivery_key(tenant, delivery_id)))


class RoundConflict(RuntimeError):
    """The round changed since it was read (another re-plan won)."""


class RoundsStore:
    """Planned rounds: the request they answer and the current plan, versioned."""

    def __init__(self, client: redis.Redis, outbox_prefix: str) -> None:
        self.client = client
        self.outbox_prefix = outbox_prefix

    @staticmethod
    def _round_key(tenant: str, round_id: str) -> str:
        return f"{PREFIX}:{tenant}:round:{round_id}"

    @staticmethod
    def _day_key(tenant: str, day: str) -> str:
        return f"{PREFIX}:{tenant}:rounds:{day}"

    def save_new(
        self,
        tenant: str,
        plan: dict[str, Any],
        request: dict[str, Any],
        event_type: str,
        event_body: dict[str, Any],
    ) -> bool:
        """Save a new plan with its event; False (nothing written) if its id is already taken:
        the same request, redelivered, planned it first."""
        key = self._round_key(tenant, plan["round_id"])
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.exists(key):
                        return False
                    pipe.multi()
                    pipe.hset(
                        key, mapping={"plan": json.dumps(plan), "request": json.dumps(request)}
                    )
                    pipe.sadd(self._day_key(tenant, plan["date"]), plan["round_id"])
                    outbox.append(pipe, self.outbox_prefix, event_type, event_body)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def replace_plan(
        self,
        tenant: str,
        plan: dict[str, Any],
        request: dict[str, Any],
        expected_version: int,
        event_type: str,
        event_body: dict[str, Any],
        replan: tuple[str, dict[str, Any]] | None = None,
    ) -> bool:
        """The new version, if the round is still at `expected_version`; `replan` (its id, the
        change asked): recorded with it, and False (nothing written) when that replan is done."""
        key = self._round_key(tenant, plan["round_id"])
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                if replan is not None and pipe.hexists(key, f"replan:{replan[0]}"):
                    pipe.unwatch()
                    return False
                current = json.loads(pipe.hget(key, "plan") or "{}")
                if current.get("version") != expected_version:
                    raise RoundConflict(
                        f"round {plan['round_id']} is at version {current.get('version')}, "
                        f"not {expected_version}: reload it and re-plan again"
                    )
                pipe.multi()
                pipe.hset(key, mapping={"plan": json.dumps(plan), "request": json.dumps(request)})
                if replan is not None:
                    pipe.hset(key, f"replan:{replan[0]}", json.dumps(replan[1]))
                outbox.append(pipe, self.outbox_prefix, event_type, event_body)
                pipe.execute()
                return True
            except redis.WatchError:
                raise RoundConflict(f"round {plan['round_id']} changed meanwhile") from None

    def replan_asked(self, tenant: str, round_id: str, replan_id: str) -> dict[str, Any] | None:
        """The change a replan of the round already made, if it is done."""
        raw = self.client.hget(self._round_key(tenant, round_id), f"replan:{replan_id}")
        return None if raw is None else dict(json.loads(raw))

    def get(self, tenant: str, round_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        stored = self.client.hgetall(self._round_key(tenant, round_id))
        if not stored:
            return None
        return json.loads(stored["plan"]), json.loads(stored["request"])

    def of_day(self, tenant: str, day: str) -> list[dict[str, Any]]:
        ids = sorted(self.client.smembers(self._day_key(tenant, day)))
        plans = []
        for round_id in ids:
            found = self.get(tenant, round_id)
            if found is not None:
                plans.append(found[0])
        return plans


class ContainersStore:
    """Connected containers and their fill readings (idempotent on reading id).

    Readings are kept `retention_s`: older ones are trimmed as new ones come, and a deleted
    container's readings expire that long after its deletion."""

    def __init__(self, client: redis.Redis, retention_s: int) -> None:
        self.client = client
        self.retention_s = retention_s

    def _k(self, tenant: str, *parts: str) -> str:
        return ":".join((PREFIX, tenant, *parts))

    def register(self, tenant: str, containers: list[dict[str, Any]]) -> int:
        with self.client.pipeline(transaction=True) as pipe:
            for container in containers:
                pipe.hset(self._k(tenant, "containers"), container["id"], json.dumps(container))
                # Registered again after a deletion: its history is its own again, kept.
                pipe.persist(self._k(tenant, "readings", container["id"]))
            pipe.execute()
        return len(containers)

    def all(self, tenant: str) -> list[dict[str, Any]]:
        found = [json.loads(v) for v in self.client.hvals(self._k(tenant, "containers"))]
        return sorted(found, key=lambda c: str(c["id"]))

    def get(self, tenant: str, container_id: str) -> dict[str, Any] | None:
        raw = self.client.hget(self._k(tenant, "containers"), container_id)
        return None if raw is None else dict(json.loads(raw))

    def delete(self, tenant: str, container_id: str) -> bool:
        """Forget the container; its readings stay for the retention period, then expire."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hdel(self._k(tenant, "containers"), container_id)
            pipe.expire(self._k(tenant, "readings", container_id), self.retention_s)
            removed, _ = pipe.execute()
        return bool(removed)

    def exists(self, tenant: str, container_id: str) -> bool:
        return bool(self.client.hexists(self._k(tenant, "containers"), container_id))

    def record(self, tenant: str, reading: dict[str, Any], at_epoch: float) -> bool:
        """Store a reading once; False if this reading id was already recorded."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(self._k(tenant, "reading-ids"), reading["reading_id"])
            readings = self._k(tenant, "readings", reading["container_id"])
            pipe.zadd(readings, {json.dumps(reading, sort_keys=True): at_epoch})
            pipe.zremrangebyscore(readings, "-inf", f"({time.time() - self.retention_s}")
            added, *_ = pipe.execute()
        # For a duplicate the ZADD rewrote the very same member: nothing changed.
        return bool(added)

    def readings(self, tenant: str, container_id: str, limit: int = 200) -> list[dict[str, Any]]:
        raw = self.client.zrange(self._k(tenant, "readings", container_id), -limit, -1)
        return [json.loads(item) for item in raw]


def failure_event(report: DeliveryFailureReport, reported_by: str) -> DeliveryFailed:
    return DeliveryFailed(**report.model_dump(), reported_by=reported_by)
