"""The idempotency guard and the outbox against the real Redis."""

from __future__ import annotations

from typing import Any

import pytest

from services.common import outbox
from services.common.idempotency import AlreadyInProgress, IdempotencyGuard

pytestmark = pytest.mark.integration


def test_guard_runs_an_effect_once_and_retries_after_a_failure(
    redis_client: Any, tenant: str
) -> None:
    guard = IdempotencyGuard(redis_client, tenant)
    sent: list[str] = []

    def fail() -> None:
        raise ConnectionError("provider down")

    with pytest.raises(ConnectionError):
        guard.run_once("sms", "campaign-1:+33612345678", fail)
    # A failed attempt did not burn the key: the retry sends.
    ran, _ = guard.run_once("sms", "campaign-1:+33612345678", lambda: sent.append("sms"))
    again, _ = guard.run_once("sms", "campaign-1:+33612345678", lambda: sent.append("sms"))

    assert (ran, again) == (True, False)
    assert sent == ["sms"]


def test_guard_refuses_to_run_while_another_worker_holds_the_claim(
    redis_client: Any, tenant: str
) -> None:
    guard = IdempotencyGuard(redis_client, tenant)
    redis_client.set(guard.key("sms", "k"), "claimed", px=60_000)

    with pytest.raises(AlreadyInProgress):
        guard.run_once("sms", "k", lambda: None)


def test_outbox_relays_in_order_and_only_once(redis_client: Any, tenant: str) -> None:
    with redis_client.pipeline(transaction=True) as pipe:
        pipe.set(f"{tenant}:state", "changed")
        outbox.append(pipe, tenant, "thing_done", {"n": 1})
        outbox.append(pipe, tenant, "thing_done", {"n": 2})
        pipe.execute()
    published: list[tuple[str, dict[str, Any]]] = []

    first = outbox.relay(redis_client, tenant, lambda t, b: published.append((t, b)))
    second = outbox.relay(redis_client, tenant, lambda t, b: published.append((t, b)))

    assert (first, second) == (2, 0)
    assert published == [("thing_done", {"n": 1}), ("thing_done", {"n": 2})]
    assert outbox.pending(redis_client, tenant) == 0
    redis_client.delete(f"{tenant}:state")


def test_outbox_keeps_an_event_whose_publication_failed(redis_client: Any, tenant: str) -> None:
    with redis_client.pipeline(transaction=True) as pipe:
        outbox.append(pipe, tenant, "thing_done", {"n": 1})
        pipe.execute()

    def broker_down(event_type: str, body: dict[str, Any]) -> None:
        raise ConnectionError("broker unreachable")

    with pytest.raises(ConnectionError):
        outbox.relay(redis_client, tenant, broker_down)
    assert outbox.pending(redis_client, tenant) == 1
    published: list[Any] = []
    assert outbox.relay(redis_client, tenant, lambda t, b: published.append(b)) == 1
    assert published == [{"n": 1}]
