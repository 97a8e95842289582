"""The alerts service's entrypoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.rpc import rpc

from contracts.deliveries import DeliveryFailed
from services.alerts.escalations import escalation_for_failed_delivery
from services.alerts.store import AlertsStore
from services.common.dead_letter import event_handler
from services.common.events import open_message
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.uptime import Uptime


class AlertsService:
    name = "alerts"

    store: AlertsStore = RedisStore(AlertsStore)
    uptime: float = Uptime()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    @event_handler("routing", "delivery_failed")
    def handle_delivery_failed(self, body: dict[str, Any]) -> None:
        envelope, event = open_message(body, DeliveryFailed)
        escalation = escalation_for_failed_delivery(
            event, event_id=envelope.event_id, received_at=datetime.now(UTC)
        )
        self.store.open_escalation(envelope.tenant, escalation)

    @rpc
    def list_escalations(self, tenant: str) -> list[dict[str, Any]]:
        return [e.model_dump(mode="json") for e in self.store.escalations(tenant)]
