"""The routing service's state in Redis, under `routing:<tenant>:`."""

from __future__ import annotations

from typing import Any

import redis

from contracts.deliveries import DeliveryFailed, DeliveryFailureReport
from services.common import outbox
from services.common.settings import Settings

PREFIX = "routing"


class RoutingStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def _delivery_key(self, tenant: str, delivery_id: str) -> str:
        return f"{PREFIX}:{tenant}:delivery:{delivery_id}"

    def record_delivery_failure(
        self, tenant: str, report: DeliveryFailureReport, event_body: dict[str, Any]
    ) -> bool:
        """Mark the delivery failed and queue `delivery_failed`, once per attempt.

        Returns False when this very attempt was already recorded (a retried request), in which
        case no second event is queued.
        """
        key = self._delivery_key(tenant, report.delivery_id)
        attempt = report.attempted_at.isoformat()
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.hget(key, "failed_attempt") == attempt:
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.hset(
                        key,
                        mapping={
                            "status": "failed",
                            "failed_attempt": attempt,
                            "reason": report.reason,
                            "commune": report.commune,
                        },
                    )
                    outbox.append(pipe, PREFIX, "delivery_failed", event_body)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def delivery_status(self, tenant: str, delivery_id: str) -> dict[str, str]:
        return dict(self.client.hgetall(self._delivery_key(tenant, delivery_id)))


def failure_event(report: DeliveryFailureReport) -> DeliveryFailed:
    return DeliveryFailed(**report.model_dump())
