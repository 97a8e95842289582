"""Claims on an inbound SMS, on the real Redis: a waiter takes over from a dead holder at once,
never from a live one."""

from __future__ import annotations

import uuid

import pytest
import redis

from services.carpool.sms_claims import SmsClaims

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix(redis_client: redis.Redis) -> str:
    return f"carpool:_:test-{uuid.uuid4().hex[:8]}"


def test_the_first_claims_the_second_waits_while_the_holder_lives(
    redis_client: redis.Redis, prefix: str
) -> None:
    first, second = (SmsClaims(redis_client, prefix, o) for o in ("a", "b"))
    key = f"{prefix}:sms:claim:SM1"
    assert first.claim(key) and not second.claim(key)
    assert not second.take_over_if_dead(key)
    assert redis_client.get(key) == "a"


def test_a_dead_holders_claim_is_taken_over_once(redis_client: redis.Redis, prefix: str) -> None:
    dead, waiter, other = (SmsClaims(redis_client, prefix, o) for o in ("dead", "w", "o"))
    key = f"{prefix}:sms:claim:SM2"
    assert dead.claim(key)
    redis_client.delete(f"{prefix}:sms-owner:dead")  # its lease lapsed: kill -9
    waiter.renew()
    other.renew()
    assert waiter.take_over_if_dead(key)
    assert not other.take_over_if_dead(key)  # the new holder lives
    assert redis_client.get(key) == "w"


def test_a_lapsed_claim_is_claimed_again(redis_client: redis.Redis, prefix: str) -> None:
    waiter = SmsClaims(redis_client, prefix, "w")
    assert waiter.take_over_if_dead(f"{prefix}:sms:claim:SM3")
