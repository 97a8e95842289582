"""The alerts service's state in Redis, under `alerts:<tenant>:`."""

from __future__ import annotations

import json

import redis

from contracts.escalations import Escalation
from services.common.settings import Settings

PREFIX = "alerts"


class AlertsStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def _escalations_key(self, tenant: str) -> str:
        return f"{PREFIX}:{tenant}:escalations"

    def open_escalation(self, tenant: str, escalation: Escalation) -> bool:
        """Record the escalation unless one already exists for its id. True if it is new."""
        # HSETNX makes the write its own idempotency check: a redelivered event changes nothing.
        added = self.client.hsetnx(
            self._escalations_key(tenant),
            escalation.escalation_id,
            escalation.model_dump_json(),
        )
        return bool(added)

    def escalations(self, tenant: str) -> list[Escalation]:
        raw = self.client.hvals(self._escalations_key(tenant))
        found = [Escalation.model_validate(json.loads(item)) for item in raw]
        return sorted(found, key=lambda e: e.opened_at)
