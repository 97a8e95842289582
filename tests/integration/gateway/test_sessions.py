"""Sessions that end: bound to the user's identity, revoked on delete, disable and password change,
with a lifetime and an idle timeout; over HTTP on the real Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from fastapi.testclient import TestClient

from contracts.users import Role
from services.gateway.auth import token_key

from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration
NEW_PASSWORD = "another long password"


@pytest.fixture
def client(make_client: Callable[..., TestClient], empty_amqp_uri: str) -> TestClient:
    return make_client(empty_amqp_uri)


def _me(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/auth/me", headers=headers).status_code


def test_a_recreated_name_does_not_inherit_the_old_sessions(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    admin = login(client, "admin-1")
    old_driver = login(client, "driver-1")
    assert client.delete("/users/driver-1", headers=admin).status_code == 204
    again = {"username": "driver-1", "password": PASSWORD, "role": "dispatcher"}
    assert client.post("/users", json=again, headers=admin).status_code == 201

    refused = client.get("/rounds?date=2026-12-01", headers=old_driver)
    assert refused.status_code == 401
    assert "log in again" in refused.json()["detail"]
    # The new user logs in and works as the dispatcher they now are.
    assert client.get("/auth/me", headers=login(client, "driver-1")).json()["role"] == "dispatcher"


def test_changing_ones_password_ends_every_session_and_hands_back_a_fresh_one(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    phone, laptop = login(client, "mayor-1"), login(client, "mayor-1")
    wrong = client.post(
        "/auth/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=laptop,
    )
    assert wrong.status_code == 403
    assert wrong.json() == {"detail": "the current password is wrong"}
    assert _me(client, phone) == 200

    changed = client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=laptop,
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert _me(client, phone) == _me(client, laptop) == 401
    assert _me(client, fresh) == 200
    old = client.post("/auth/login", json={"username": "mayor-1", "password": PASSWORD})
    assert old.status_code == 401
    login(client, "mayor-1", NEW_PASSWORD)


def test_a_new_password_must_be_long_enough(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    short = client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=login(client, "driver-1"),
    )
    assert short.status_code == 422
    assert short.json()["detail"].startswith("body.new_password: String should have at least 10")


def test_an_admin_reset_ends_the_users_sessions(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    admin, driver = login(client, "admin-1"), login(client, "driver-1")
    reset = client.post(
        "/users/driver-1/password", json={"new_password": NEW_PASSWORD}, headers=admin
    )
    assert reset.status_code == 200
    assert _me(client, driver) == 401
    login(client, "driver-1", NEW_PASSWORD)
    unknown = client.post(
        "/users/nobody/password", json={"new_password": NEW_PASSWORD}, headers=admin
    )
    assert unknown.status_code == 404
    assert _me(client, admin) == 200  # other users' sessions are untouched


def test_a_disabled_user_is_out_at_once_and_back_only_with_a_new_login(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    admin, dispatcher = login(client, "admin-1"), login(client, "dispatcher-1")
    disabled = client.post("/users/dispatcher-1/disable", headers=admin)
    assert disabled.status_code == 200
    assert disabled.json()["disabled"] is True
    assert _me(client, dispatcher) == 401
    refused = client.post("/auth/login", json={"username": "dispatcher-1", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "this account is disabled; ask an administrator"}
    listed = {u["username"]: u["disabled"] for u in client.get("/users", headers=admin).json()}
    assert listed["dispatcher-1"] is True

    assert client.post("/users/dispatcher-1/enable", headers=admin).json()["disabled"] is False
    assert _me(client, dispatcher) == 401  # the old session stays ended
    assert _me(client, login(client, "dispatcher-1")) == 200
    assert client.post("/users/admin-1/disable", headers=admin).status_code == 409


def test_an_unused_session_ends_after_the_idle_timeout(
    make_client: Callable[..., TestClient],
    empty_amqp_uri: str,
    role_users: dict[Role, str],
    redis_conn: redis.Redis,
    tenant: str,
) -> None:
    client = make_client(empty_amqp_uri, token_ttl_s=600, token_idle_s=1)
    answer = client.post("/auth/login", json={"username": "driver-1", "password": PASSWORD})
    assert answer.json()["expires_in"] == 600
    token = answer.json()["access_token"]
    assert redis_conn.ttl(token_key(tenant, token)) == 1
    headers = {"Authorization": f"Bearer {token}"}
    assert _me(client, headers) == 200
    time.sleep(1.6)  # the time passing is what is under test
    assert _me(client, headers) == 401


def test_a_session_in_constant_use_still_ends_at_its_lifetime(
    make_client: Callable[..., TestClient], empty_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    client = make_client(empty_amqp_uri, token_ttl_s=2, token_idle_s=600)
    headers = login(client, "driver-1")
    started = time.monotonic()
    while _me(client, headers) == 200:
        assert time.monotonic() - started < 10, "the session outlived its 2 s lifetime"
        time.sleep(0.2)
    assert time.monotonic() - started >= 1.0
