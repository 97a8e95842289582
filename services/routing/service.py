"""The routing service's entrypoints: validate, call the store or pure code, publish."""

from __future__ import annotations

from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.timer import timer

from contracts.deliveries import DeliveryFailureReport
from services.common import outbox
from services.common.events import InvalidMessage, make_message, open_message
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.uptime import Uptime
from services.routing.store import PREFIX, RoutingStore, failure_event


class RoutingService:
    name = "routing"

    store: RoutingStore = RedisStore(RoutingStore)
    uptime: float = Uptime()
    dispatch = EventDispatcher()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    @rpc(expected_exceptions=InvalidMessage)
    def report_delivery_failed(self, message: dict[str, Any]) -> dict[str, Any]:
        envelope, report = open_message(message, DeliveryFailureReport)
        event = make_message(
            failure_event(report), tenant=envelope.tenant, correlation_id=envelope.correlation_id
        )
        recorded = self.store.record_delivery_failure(envelope.tenant, report, event)
        self._relay()
        return {"delivery_id": report.delivery_id, "status": "failed", "new": recorded}

    @rpc
    def get_delivery(self, tenant: str, delivery_id: str) -> dict[str, str]:
        return self.store.delivery_status(tenant, delivery_id)

    @timer(interval=2)
    def relay_outbox(self) -> None:
        # Catches events left behind by a crash between the state write and the publication.
        self._relay()

    def _relay(self) -> None:
        outbox.relay(self.store.client, PREFIX, self.dispatch)
