"""A plan's round id: tied to the caller's client_key when there is one, else to the request."""

from __future__ import annotations

from contracts.identity import Caller
from contracts.users import Role
from services.routing.plan_keys import plan_round_id, same_ask

ANNE = Caller(username="anne", role=Role.DISPATCHER)
BRUNO = Caller(username="bruno", role=Role.DISPATCHER)
ASK = {"date": "2026-12-01", "client_key": "k-1", "time_limit_s": 5}


def test_the_same_key_from_the_same_person_names_the_same_round_whatever_the_request() -> None:
    first = plan_round_id("meals", ASK, ANNE, "amqp-1")
    assert plan_round_id("meals", ASK, ANNE, "amqp-2") == first
    assert first.startswith("meals-2026-12-01-")
    assert plan_round_id("meals", ASK, BRUNO, "amqp-1") != first  # another person's key
    assert plan_round_id("waste", ASK, ANNE, "amqp-1") != first


def test_without_a_key_each_request_is_its_own_round() -> None:
    ask = {**ASK, "client_key": None}
    assert plan_round_id("meals", ask, ANNE, "amqp-1") == plan_round_id(
        "meals", ask, ANNE, "amqp-1"
    )
    assert plan_round_id("meals", ask, ANNE, "amqp-1") != plan_round_id(
        "meals", ask, ANNE, "amqp-2"
    )


def test_a_retry_may_allow_longer_but_not_change_the_request() -> None:
    assert same_ask(ASK, {**ASK, "time_limit_s": 30})
    assert not same_ask(ASK, {**ASK, "date": "2026-12-02"})
