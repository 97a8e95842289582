"""Every operation of the gateway against every role: 403 exactly where the route says so.

The operations come from the app's own OpenAPI schema, so a new endpoint is covered the day it is
added, and one that forgets to declare its roles fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from contracts.users import Role
from services.gateway.auth import token_key
from services.gateway.roles import operation_roles

from .conftest import login

pytestmark = pytest.mark.integration

# Public on purpose; everything else must declare its roles.
# Public on purpose: health, login, the pages (they log in themselves) and Twilio's webhooks
# (authenticated by their signature).
PUBLIC = {
    ("GET", "/health"),
    ("POST", "/auth/login"),
    ("POST", "/webhooks/twilio/status"),
    ("POST", "/webhooks/twilio/gather"),
    ("POST", "/webhooks/twilio/inbound"),
    ("GET", "/console"),
    ("GET", "/console/console.js"),
    ("GET", "/console/console.css"),
    ("GET", "/console/feeds.js"),
    ("GET", "/console/map.js"),
    ("GET", "/driver"),
    ("GET", "/driver/driver.js"),
    ("GET", "/driver/driver.css"),
    ("GET", "/covoiturage"),
    ("GET", "/covoiturage/covoiturage.js"),
    ("GET", "/covoiturage/covoiturage.css"),
    ("GET", "/family"),
    ("GET", "/family/family.js"),
    ("GET", "/family/family.css"),
    ("GET", "/dispatch"),
    ("GET", "/dispatch/dispatch.js"),
    ("GET", "/dispatch/dispatch.css"),
    ("GET", "/kitchen"),
    ("GET", "/kitchen/kitchen.js"),
    ("GET", "/kitchen/kitchen.css"),
    ("GET", "/pages/common.js"),
    ("GET", "/pages/common.css"),
}
SAMPLE_PATH_VALUES = {
    "username": "nobody-here",
    "delivery_id": "d-matrix-1",
    "contact_id": "c-matrix-1",
    "campaign_id": "cmp-matrix-1",
    "round_id": "meals-nope",
    "container_id": "c-matrix-1",
    "case_id": "welfare:d-matrix-1:2026-01-01",
    "offer_id": "o-matrix-1",
    "request_id": "r-matrix-1",
    "booking_id": "b-matrix-1",
    "day": "2030-01-07",
    "senior_id": "s-matrix-1",
    "vehicle_id": "van-matrix-1",
}


def operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    schema = client.get("/openapi.json").json()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation))
    return found


def concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLE_PATH_VALUES[m.group(1)], path)


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
    status: int = client.request(method, concrete(path), json=body, headers=headers).status_code
    return status


def test_every_operation_declares_roles_or_is_public(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    client = make_client(empty_amqp_uri)
    ops = operations(client)
    assert len(ops) >= 12
    for method, path, operation in ops:
        where = f"{method} {path}"
        if (method, path) in PUBLIC:
            assert operation_roles(operation) is None, f"{where} should be public"
            continue
        assert "x-roles" in operation, f"{where} declares no roles (use require_roles)"
        assert operation_roles(operation), f"{where} admits no role at all"
    assert {(m, p) for m, p, _ in ops} >= PUBLIC
    assert client.get("/docs").status_code == 200


def test_each_role_gets_403_exactly_where_not_admitted(
    make_client: Callable[..., TestClient], empty_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    # The services are absent (empty vhost): admitted calls that need one answer 503, fast.
    client = make_client(empty_amqp_uri, rpc_timeout_s=1.0)
    sessions: dict[Role, dict[str, str]] = {}
    for method, path, operation in operations(client):
        admitted = operation_roles(operation)
        for role, username in role_users.items():
            if role not in sessions:
                sessions[role] = login(client, username)
            status = call(client, method, path, sessions[role])
            if path == "/auth/logout":
                del sessions[role]  # that session has just ended
            where = f"{role.value} {method} {path} -> {status}"
            assert status != 500, where
            if admitted is None or role in admitted:
                assert status not in (401, 403), where
            else:
                assert status == 403, where


def test_without_or_with_a_bad_token_every_private_operation_says_401(
    make_client: Callable[..., TestClient],
    empty_amqp_uri: str,
    role_users: dict[Role, str],
    redis_conn: redis.Redis,
    tenant: str,
) -> None:
    client = make_client(empty_amqp_uri)
    admin = login(client, role_users[Role.ADMIN])
    expired = login(client, role_users[Role.ADMIN])
    token = expired["Authorization"].removeprefix("Bearer ")
    redis_conn.pexpire(token_key(tenant, token), 1)
    garbage = {"Authorization": "Bearer not-a-token"}
    for method, path, operation in operations(client):
        if operation_roles(operation) is None:
            continue
        for label, headers in (("no token", {}), ("expired", expired), ("garbage", garbage)):
            status = call(client, method, path, headers)
            assert status == 401, f"{label}: {method} {path} -> {status}"
    # The session that was not expired still works.
    assert client.get("/auth/me", headers=admin).status_code == 200
