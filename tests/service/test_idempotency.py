"""A handler run twice for the same event has its side effect once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from services.common.dead_letter import event_handler
from services.common.idempotency import IdempotencyGuard
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.service

side_effects: list[str] = []


class Notifier:
    name = "notifier"

    @event_handler("source", "person_warned")
    def handle_person_warned(self, body: dict[str, Any]) -> None:
        guard = IdempotencyGuard(redis.Redis.from_url(REDIS_URL, decode_responses=True), "test")
        guard.run_once("warn", body["event_id"], lambda: side_effects.append(body["who"]))


def test_same_event_twice_gives_one_side_effect(
    container_factory: Any, service_config: dict[str, Any]
) -> None:
    side_effects.clear()
    container = container_factory(Notifier, service_config)
    container.start()
    dispatch = event_dispatcher(service_config)
    event = {"event_id": str(uuid.uuid4()), "who": "+33612345678"}
    other = {"event_id": str(uuid.uuid4()), "who": "+33698765432"}

    for body in (event, event, other):
        with entrypoint_waiter(container, "handle_person_warned", timeout=10):
            dispatch("source", "person_warned", body)

    assert side_effects == ["+33612345678", "+33698765432"]
