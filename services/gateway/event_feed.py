"""The gateway's ear on the services' events: a kombu consumer thread feeding `fanout.Hub`.

nameko publishes each service's events on the durable topic exchange `<service>.events`, with the
event type as routing key and the envelope as JSON. The feed binds one exclusive, auto-deleted
queue of its own (one per gateway process: every process hears every event) to the events the
live pages show, and turns each into wake-up keys (`keys_of`, pure). Messages are wake-ups only,
taken without acknowledgement: a stream re-reads the owning service when woken, and falls back to
a slow poll, so a message lost while the broker is away costs latency, never correctness. After a
reconnection every stream is woken once, since events may have passed meanwhile.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue, binding
from kombu.mixins import ConsumerMixin

from services.gateway.fanout import Hub, Key

logger = logging.getLogger(__name__)

# (service, event type) the live pages follow.
FOLLOWED: tuple[tuple[str, str], ...] = (
    ("routing", "delivery_eta_updated"),
    ("routing", "delivery_completed"),
    ("routing", "delivery_failed"),
    ("alerts", "welfare_check_opened"),
    ("alerts", "welfare_check_updated"),
    ("alerts", "welfare_check_closed"),
    ("alerts", "campaign_progress_updated"),
)


def senior_key(tenant: str, senior_id: str) -> Key:
    return ("senior", tenant, senior_id)


def welfare_key(tenant: str) -> Key:
    return ("welfare", tenant)


def campaign_key(tenant: str, campaign_id: str) -> Key:
    return ("campaign", tenant, campaign_id)


def keys_of(service: str, event_type: str, body: Any) -> list[Key]:
    """The streams an event concerns, from its envelope; nothing for what it cannot read."""
    if not isinstance(body, Mapping):
        return []
    tenant, payload = body.get("tenant"), body.get("payload")
    if not isinstance(tenant, str) or not isinstance(payload, Mapping):
        return []
    keys: list[Key] = []
    senior = payload.get("senior_id")
    if isinstance(senior, str) and senior:
        keys.append(senior_key(tenant, senior))
    if service == "alerts" and event_type.startswith("welfare_check_"):
        keys.append(welfare_key(tenant))
    campaign = payload.get("campaign_id")
    if service == "alerts" and isinstance(campaign, str) and campaign:
        keys.append(campaign_key(tenant, campaign))
    return keys


def event_exchange(service: str) -> Exchange:
    # Declared exactly as nameko declares it, so whichever side comes first, both agree.
    return Exchange(f"{service}.events", type="topic", durable=True, auto_delete=False)


class _Consumer(ConsumerMixin):
    def __init__(self, connection: Connection, hub: Hub) -> None:
        self.connection = connection
        self.hub = hub
        self.queue = Queue(
            f"gateway-live-{uuid.uuid4().hex[:12]}",
            bindings=[binding(event_exchange(s), routing_key=t) for s, t in FOLLOWED],
            exclusive=True,
            auto_delete=True,
            durable=False,
        )
        self._connected_before = False

    def get_consumers(self, consumer_class: Any, channel: Any) -> list[Any]:
        # The exchanges may not exist yet (a service not started): declare them first.
        for service in sorted({s for s, _ in FOLLOWED}):
            event_exchange(service)(channel).declare()
        return [
            consumer_class(
                queues=[self.queue], callbacks=[self.on_message], accept=["json"], no_ack=True
            )
        ]

    def on_consume_ready(self, connection: Any, channel: Any, consumers: Any, **kw: Any) -> None:
        self.hub.connected.set()
        if self._connected_before:
            self.hub.wake_all()
        self._connected_before = True

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        self.hub.connected.clear()
        logger.warning("event feed: broker unreachable (%s), retrying in %s s", exc, interval)

    def on_message(self, body: Any, message: Any) -> None:
        info = message.delivery_info
        service = str(info.get("exchange", "")).removesuffix(".events")
        for key in keys_of(service, str(info.get("routing_key", "")), body):
            self.hub.publish(key)


class EventFeed:
    """Starts and stops the consumer thread."""

    def __init__(self, amqp_uri: str, hub: Hub) -> None:
        self.amqp_uri = amqp_uri
        self.hub = hub
        self._consumer: _Consumer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        connection = Connection(self.amqp_uri, heartbeat=30)
        self._consumer = _Consumer(connection, self.hub)
        self._thread = threading.Thread(target=self._run, name="gateway-event-feed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._consumer is not None
        try:
            self._consumer.run()
        except Exception:  # never take the gateway down: streams fall back to polling
            logger.exception("event feed stopped")
        finally:
            self.hub.connected.clear()

    def close(self) -> None:
        if self._consumer is None or self._thread is None:
            return
        self._consumer.should_stop = True
        self._thread.join(timeout=5)
        self._consumer.connection.release()
        self._consumer = None
        self._thread = None
