"""Login backoff and lock, password hashing cost and its bound, the documented error answers."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from services.gateway.api_docs import ERROR_SCHEMA_NAME, document_errors
from services.gateway.passwords import HashingBusy, Passwords
from services.gateway.throttle_policy import PER_USERNAME, ThrottlePolicy, refusal_message

pytestmark = pytest.mark.unit


def test_a_few_mistakes_cost_nothing_then_the_wait_doubles_then_locks() -> None:
    policy = ThrottlePolicy(free_failures=3, lock_after=10, lock_s=900, max_backoff_s=60)
    waits = [policy.wait_after(n) for n in range(1, 12)]
    assert waits == [0, 0, 0, 2, 4, 8, 16, 32, 60, 900, 900]
    assert not policy.is_lock(9) and policy.is_lock(10)


def test_a_policy_that_locks_before_its_free_failures_is_refused() -> None:
    with pytest.raises(ValueError, match="free_failures must be below lock_after"):
        ThrottlePolicy(free_failures=10, lock_after=5, lock_s=60)


def test_the_refusal_says_what_is_locked_and_for_how_long() -> None:
    assert refusal_message("username", 900, locked=True).startswith(
        "too many failed logins for this username: locked for 15 minute(s)"
    )
    assert "wait 4 s" in refusal_message("address", 4, locked=False)
    assert PER_USERNAME.wait_after(PER_USERNAME.lock_after) == PER_USERNAME.lock_s


def test_hashes_use_the_small_server_parameters_and_old_ones_need_a_rehash() -> None:
    passwords = Passwords()
    hashed = passwords.hash("correct horse battery")
    assert "$m=19456,t=2,p=1$" in hashed
    assert not passwords.needs_rehash(hashed)
    assert passwords.needs_rehash(PasswordHasher().hash("correct horse battery"))  # 64 MiB, p=4


def test_beyond_the_hashing_slots_a_login_is_refused_not_queued_forever() -> None:
    passwords = Passwords(concurrency=1, wait_s=0.05)
    hashed = passwords.hash("correct horse battery")
    held, release = threading.Event(), threading.Event()

    def hold_the_slot() -> None:
        with passwords.slot():
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold_the_slot)
    holder.start()
    try:
        assert held.wait(5)
        with pytest.raises(HashingBusy):
            passwords.verify(hashed, "correct horse battery")
        with pytest.raises(HashingBusy):
            passwords.verify_unknown("whatever")
    finally:
        release.set()
        holder.join()
    assert passwords.verify(hashed, "correct horse battery")


def _schema() -> dict:
    return {
        "paths": {
            "/campaigns/{campaign_id}/send": {
                "post": {
                    "tags": ["campaigns"],
                    "x-roles": ["admin"],
                    "parameters": [{"in": "path", "name": "campaign_id"}],
                    "requestBody": {"content": {"application/json": {}}},
                    "responses": {
                        "202": {"description": "sent"},
                        "422": {
                            "description": "Validation Error",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                                }
                            },
                        },
                    },
                }
            },
            "/console": {"get": {"tags": ["pages"], "x-public": True, "responses": {"200": {}}}},
        },
        "components": {"schemas": {"HTTPValidationError": {}, "ValidationError": {}}},
    }


def test_every_error_the_app_can_answer_is_documented_once_with_a_string_detail() -> None:
    schema = document_errors(_schema())
    send = schema["paths"]["/campaigns/{campaign_id}/send"]["post"]["responses"]
    assert set(send) == {"202", "400", "401", "403", "404", "413", "422", "502", "503"}
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    assert send["422"]["content"]["application/json"]["schema"] == ref
    assert schema["components"]["schemas"][ERROR_SCHEMA_NAME]["properties"]["detail"] == {
        "type": "string",
        "description": "what is wrong, for a person",
    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    page = schema["paths"]["/console"]["get"]["responses"]
    assert set(page) == {"200", "400", "503"}  # public, no parameter, no service behind it
