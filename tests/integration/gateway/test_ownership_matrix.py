"""Every operation that takes an object id, against a user of the same role who does not own it:
404, exactly like an object that does not exist, and the object unchanged afterwards.

Generated like the role matrix: the operations come from the app's OpenAPI description, and the
cases from `tests/integration/gateway/ownership/*_cases.py`. A new id-taking route without a
case fails here with a message saying where to register one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.roles import operation_roles
from services.gateway.users import UserStore

from .conftest import PASSWORD, login
from .ownership import USERS, OwnedBy, TenantWide, World, load_all
from .test_roles_matrix import operations

pytestmark = pytest.mark.integration

REGISTRY = load_all()
TENANT_WIDE_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})
WHERE = "tests/integration/gateway/ownership/<domain>_cases.py"


def id_operations(client: TestClient) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m, p): op for m, p, op in operations(client) if "{" in p}


def test_every_operation_taking_an_id_has_an_ownership_case(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    found = id_operations(make_client(empty_amqp_uri))
    assert len(found) >= 10

    missing = sorted(f"{m} {p}" for m, p in found if (m, p) not in REGISTRY)
    assert not missing, (
        f"no ownership case for {missing}: register one in {WHERE} (an OwnedBy case that "
        "builds user A's object and checks user B of the same role gets 404, or TenantWide "
        "with the reason if only admins and dispatchers are admitted)"
    )
    stale = sorted(f"{m} {p}" for m, p in REGISTRY if (m, p) not in found)
    assert not stale, f"cases registered for operations that do not exist: {stale}"
    for (method, path), case in REGISTRY.items():
        admitted = operation_roles(found[(method, path)]) or frozenset()
        where = f"{method} {path}"
        if isinstance(case, TenantWide):
            others = sorted(role.value for role in admitted - TENANT_WIDE_ROLES)
            assert not others, f"{where} admits {others}: register an OwnedBy case, not TenantWide"
            assert case.reason.strip(), f"{where}: say why it is tenant-wide"
        else:
            owner, intruder = USERS[case.owner][0], USERS[case.intruder][0]
            assert owner is intruder, f"{where}: owner and intruder must share a role"
            assert owner in admitted, (
                f"{where} does not admit {owner.value}: the case tests nothing"
            )


@pytest.fixture
def world(
    make_client: Callable[..., TestClient], services_amqp_uri: str, store: UserStore
) -> World:
    for username, (role, communes) in USERS.items():
        create_user(
            store,
            UserCreate(username=username, password=PASSWORD, role=role, communes=communes),
        )
    client = make_client(services_amqp_uri)
    sessions: dict[str, dict[str, str]] = {}

    def session(username: str) -> dict[str, str]:
        if username not in sessions:
            sessions[username] = login(client, username)
        return sessions[username]

    return World(client=client, sessions=session, users=dict(USERS))


OWNED = sorted((key, case) for key, case in REGISTRY.items() if isinstance(case, OwnedBy))


def _detail(response: Any, ids: dict[str, str]) -> str:
    text = str(response.json().get("detail", "")) if response.content else ""
    for name, value in ids.items():
        text = text.replace(value, "{" + name + "}")
    return text


@pytest.mark.parametrize(("operation", "case"), OWNED, ids=[f"{m} {p}" for (m, p), _ in OWNED])
def test_a_user_gets_404_on_another_users_object_and_it_is_unchanged(
    world: World, operation: tuple[str, str], case: OwnedBy
) -> None:
    method, path = operation
    built = case.build(world)
    before = built.snapshot()
    intruder = world.as_user(case.intruder)

    theirs = world.client.request(
        method, path.format(**built.params), json=built.body, headers=intruder
    )
    # Only the ids are made unknown: a day or a kind in the path stays as it was.
    unknown_ids = {
        name: f"zz{uuid.uuid4().hex[:12]}" if name.endswith("_id") else value
        for name, value in built.params.items()
    }
    unknown = world.client.request(
        method, path.format(**unknown_ids), json=built.body, headers=intruder
    )
    after = built.snapshot()

    problems = []
    if theirs.status_code != 404:
        problems.append(f"{case.intruder} got {theirs.status_code}: {theirs.text[:300]}")
    elif _detail(theirs, built.params) != _detail(unknown, unknown_ids):
        problems.append(
            f"the answer differs from a missing object's: {theirs.text!r} vs {unknown.text!r}"
        )
    if after != before:
        problems.append(f"the object changed; now, as its owner sees it: {str(after)[-300:]}")
    assert not problems, f"{method} {path}: " + "; ".join(problems)
