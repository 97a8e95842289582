"""A poison message on every event handler of every service: parked with its error, never a loop.

The handlers are found by reading the service classes (every `services.<name>.service` module),
so a handler added tomorrow is covered without touching this file. Each one receives three
poisons: a body that is not an envelope (invalid: parked at once, not retried), a body that is not
JSON at all, and a body in a content type the services do not accept (both undecodable: parked
as they came). Afterwards the service still handles the next message.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.common.dead_letter import event_handler
from tests.service.poison import event_handlers, service_classes

pytestmark = pytest.mark.service

SERVICES = service_classes()
HANDLERS = [(cls, handler) for cls in SERVICES for handler in event_handlers(cls)]


def test_every_service_with_events_is_found() -> None:
    # The enumeration must see the three services and their handlers, or this file tests nothing.
    names = {cls.name for cls in SERVICES}
    assert {"alerts", "carpool", "routing"} <= names
    found = {(cls.name, h.source_service, h.event_type) for cls, h in HANDLERS}
    assert ("alerts", "routing", "delivery_failed") in found
    assert ("carpool", "alerts", "sms_received") in found
    assert ("routing", "sensors", "fill_level_measured") in found


def _publish(amqp_uri: str, source: str, event_type: str, body: bytes, content_type: str) -> None:
    with Connection(amqp_uri) as connection:
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        Producer(connection.channel(), exchange=exchange).publish(
            body, routing_key=event_type, content_type=content_type, content_encoding="utf-8"
        )


def _drain(amqp_uri: str, queue: str, want: int, timeout: float) -> list[Any]:
    """Messages parked in `queue`, raw (they may not decode), waiting until `want` arrived."""
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as connection:
        parked = Queue(queue, durable=True)(connection.default_channel)
        while time.monotonic() < deadline:
            message = parked.get(no_ack=True)
            if message is not None:
                found.append(message)
            elif len(found) >= want:
                break
            else:
                time.sleep(0.2)
    return found


@pytest.mark.parametrize(
    "cls,handler",
    HANDLERS,
    ids=[f"{cls.name}.{h.method_name}" for cls, h in HANDLERS],
)
def test_poison_is_parked_with_its_error_and_never_loops(
    container_factory: Any, service_config: dict[str, Any], cls: type, handler: Any
) -> None:
    config = {**service_config, "ROUTING_GRAPH": "/nonexistent/no-graph-needed"}
    # A long back-off would show a retried invalid message as a slow test, not a wrong one.
    config["DEAD_LETTER_BACKOFF_S"] = 0.05
    container = container_factory(cls, config)
    container.start()
    amqp_uri = config["AMQP_URI"]
    source, event_type = handler.source_service, handler.event_type
    poisons = [
        (b'{"not": "an envelope"}', "application/json"),
        (b"\x00\x01 not json {", "application/json"),
        (b"\x80\x04K\x01.", "application/x-python-serialize"),
    ]
    for body, content_type in poisons:
        _publish(amqp_uri, source, event_type, body, content_type)

    parked = _drain(amqp_uri, f"{cls.name}.dead-letters", want=len(poisons), timeout=20)
    # Give a looping message time to show itself: nothing more may arrive.
    parked += _drain(amqp_uri, f"{cls.name}.dead-letters", want=0, timeout=1.5)

    assert len(parked) == len(poisons), [m.headers for m in parked]
    by_body = {m.body if isinstance(m.body, bytes) else m.body.encode(): m for m in parked}
    invalid = by_body[b'{"not": "an envelope"}'].headers
    assert invalid["x-error-type"] == "InvalidMessage"
    assert invalid["x-error"].startswith("bad envelope:")
    assert invalid["x-attempts"] == 1  # invalid is final: not retried
    assert invalid["x-original-routing-key"] == event_type
    for body, _ in poisons[1:]:
        undecodable = by_body[body].headers
        assert undecodable["x-error-type"] in {"ContentDisallowed", "DecodeError"}, undecodable
        assert undecodable["x-original-routing-key"] == event_type
        assert undecodable["x-original-queue"].startswith(f"evt-{source}-{event_type}--{cls.name}")
    # The service is still up and answering.
    with ServiceRpcProxy(cls.name, config, timeout=10) as service:
        assert service.ping()["name"] == cls.name


decoded: list[Any] = []


class Listener:
    name = "listener"

    @event_handler("source", "thing_happened")
    def handle_thing_happened(self, body: Any) -> None:
        decoded.append(body)


def test_an_undecodable_message_does_not_stop_the_next_one(
    container_factory: Any, service_config: dict[str, Any]
) -> None:
    decoded.clear()
    container = container_factory(Listener, service_config)
    container.start()
    amqp_uri = service_config["AMQP_URI"]
    with entrypoint_waiter(container, "handle_thing_happened", timeout=15):
        _publish(amqp_uri, "source", "thing_happened", b"{{{", "application/json")
        _publish(amqp_uri, "source", "thing_happened", b'{"n": 2}', "application/json")
    assert decoded == [{"n": 2}]
    parked = _drain(amqp_uri, "listener.dead-letters", want=1, timeout=10)
    assert [m.headers["x-error-type"] for m in parked] == ["DecodeError"]
