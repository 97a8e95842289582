"""A handler that keeps failing parks its message in a dead-letter queue, with the error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kombu import Connection
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from services.common.dead_letter import event_handler

pytestmark = pytest.mark.service

calls: list[dict[str, Any]] = []


class Flaky:
    """Fails on every message whose `fail` is true."""

    name = "flaky"

    @event_handler("source", "thing_happened")
    def handle_thing_happened(self, body: dict[str, Any]) -> None:
        calls.append(body)
        if body["fail"]:
            raise ValueError(f"cannot handle thing {body['n']}")


def _drain(amqp_uri: str, queue: str) -> list[Any]:
    found = []
    with Connection(amqp_uri) as connection:
        simple = connection.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(timeout=1)
            except simple.Empty:
                break
            found.append(message)
            message.ack()
        simple.close()
    return found


def test_failing_message_is_dead_lettered_with_its_error_after_bounded_attempts(
    container_factory: Any, service_config: dict[str, Any]
) -> None:
    calls.clear()
    container = container_factory(Flaky, service_config)
    container.start()
    dispatch = event_dispatcher(service_config)

    with entrypoint_waiter(
        container,
        "handle_thing_happened",
        timeout=15,
        callback=lambda ctx, res, exc: len(calls) >= 3,
    ):
        dispatch("source", "thing_happened", {"n": 1, "fail": True})

    parked = []
    for _ in range(10):
        parked += _drain(service_config["AMQP_URI"], "flaky.dead-letters")
        if parked:
            break
    assert len(parked) == 1
    message = parked[0]
    assert json.loads(message.body) == {"n": 1, "fail": True}
    assert message.headers["x-error-type"] == "ValueError"
    assert message.headers["x-error"] == "cannot handle thing 1"
    assert message.headers["x-attempts"] == 3
    assert message.headers["x-original-routing-key"] == "thing_happened"
    # Exactly three tries, then no more: the message does not loop.
    assert len(calls) == 3


def test_healthy_messages_keep_flowing_past_a_poisoned_one(
    container_factory: Any, service_config: dict[str, Any]
) -> None:
    calls.clear()
    container = container_factory(Flaky, service_config)
    container.start()
    dispatch = event_dispatcher(service_config)

    def all_seen(ctx: Any, res: Any, exc: Any) -> bool:
        return sum(1 for c in calls if not c["fail"]) == 2 and len(calls) >= 5

    with entrypoint_waiter(container, "handle_thing_happened", timeout=15, callback=all_seen):
        dispatch("source", "thing_happened", {"n": 1, "fail": False})
        dispatch("source", "thing_happened", {"n": 2, "fail": True})
        dispatch("source", "thing_happened", {"n": 3, "fail": False})

    assert sorted(c["n"] for c in calls if not c["fail"]) == [1, 3]
