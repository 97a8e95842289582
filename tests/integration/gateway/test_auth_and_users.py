"""Login, logout, users and the tenant, over HTTP on the real Redis."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from fastapi.testclient import TestClient

from contracts.users import Role
from services.gateway.auth import token_key

from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration


@pytest.fixture
def client(make_client: Callable[..., TestClient], empty_amqp_uri: str) -> TestClient:
    return make_client(empty_amqp_uri, token_ttl_s=600)


def test_login_returns_an_expiring_token_and_logout_ends_it(
    client: TestClient, role_users: dict[Role, str], redis_conn: redis.Redis, tenant: str
) -> None:
    response = client.post(
        "/auth/login", json={"username": role_users[Role.DRIVER], "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 600
    assert body["user"] == {
        "username": "driver-1",
        "role": "driver",
        "full_name": "",
        "communes": [],
        "disabled": False,
    }
    assert 0 < redis_conn.ttl(token_key(tenant, body["access_token"])) <= 600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/auth/me", headers=headers).json()["username"] == "driver-1"

    assert client.post("/auth/logout", headers=headers).status_code == 204
    after = client.get("/auth/me", headers=headers)
    assert after.status_code == 401
    assert "log in again" in after.json()["detail"]


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    wrong = client.post("/auth/login", json={"username": "admin-1", "password": "not it at all"})
    unknown = client.post("/auth/login", json={"username": "ghost", "password": "not it at all"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong username or password"}


def test_passwords_are_stored_as_argon2_hashes_only(
    client: TestClient, role_users: dict[Role, str], redis_conn: redis.Redis, tenant: str
) -> None:
    stored = redis_conn.get(f"gateway:{tenant}:user:admin-1")
    assert stored is not None
    assert PASSWORD not in stored
    assert '"password_hash":"$argon2id$' in stored
    listed = client.get("/users", headers=login(client, "admin-1")).json()
    assert all("password" not in key for user in listed for key in user)


def test_admin_creates_lists_and_deletes_users(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    admin = login(client, "admin-1")
    new = {"username": "jeanne", "password": PASSWORD, "role": "dispatcher", "full_name": "J. D."}
    created = client.post("/users", json=new, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "dispatcher"
    assert "jeanne" in [u["username"] for u in client.get("/users", headers=admin).json()]
    login(client, "jeanne")

    again = client.post("/users", json=new, headers=admin)
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]

    assert client.delete("/users/jeanne", headers=admin).status_code == 204
    assert client.delete("/users/jeanne", headers=admin).status_code == 404
    gone = client.post("/auth/login", json={"username": "jeanne", "password": PASSWORD})
    assert gone.status_code == 401


def test_a_deleted_users_sessions_stop_working(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    driver = login(client, "driver-1")
    client.delete("/users/driver-1", headers=login(client, "admin-1"))
    assert client.get("/auth/me", headers=driver).status_code == 401


def test_an_admin_cannot_delete_themself(client: TestClient, role_users: dict[Role, str]) -> None:
    response = client.delete("/users/admin-1", headers=login(client, "admin-1"))
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("role", "communes", "expected"),
    [
        ("mayor", [], "at least one commune"),
        ("mayor", ["59350", "75056"], "75056 are not communes of tenant"),
        ("driver", ["59350"], "only a mayor is bound to communes"),
        ("resident", ["59350"], "only a mayor is bound to communes"),
    ],
)
def test_mayor_commune_rules(
    client: TestClient,
    role_users: dict[Role, str],
    role: str,
    communes: list[str],
    expected: str,
) -> None:
    body = {"username": "someone", "password": PASSWORD, "role": role, "communes": communes}
    response = client.post("/users", json=body, headers=login(client, "admin-1"))
    assert response.status_code == 422
    assert expected in response.json()["detail"]


def test_a_mayor_of_several_communes_is_accepted(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    body = {
        "username": "maire-2",
        "password": PASSWORD,
        "role": "mayor",
        "communes": ["59350", "59009"],
    }
    response = client.post("/users", json=body, headers=login(client, "admin-1"))
    assert response.status_code == 201
    assert response.json()["communes"] == ["59350", "59009"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x", "password": PASSWORD, "role": "driver"}, "username"),
        ({"username": "paul", "password": "short", "role": "driver"}, "password"),
        ({"username": "paul", "password": PASSWORD, "role": "king"}, "role"),
        (
            {"username": "paul", "password": PASSWORD, "role": "driver", "is_admin": True},
            "is_admin",
        ),
    ],
)
def test_bad_user_bodies_say_which_field(
    client: TestClient, role_users: dict[Role, str], body: dict[str, object], field: str
) -> None:
    response = client.post("/users", json=body, headers=login(client, "admin-1"))
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


def test_tenant_is_readable_by_all_and_editable_by_admin(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    tenant = client.get("/tenant", headers=login(client, "resident-1")).json()
    assert [c["code"] for c in tenant["communes"]] == ["59350", "59009"]

    admin = login(client, "admin-1")
    update = {
        "name": "CC renommée",
        "communes": [*tenant["communes"], {"code": "59017", "name": "Armentières"}],
    }
    response = client.put("/tenant", json=update, headers=admin)
    assert response.status_code == 200
    assert response.json()["name"] == "CC renommée"
    assert len(response.json()["communes"]) == 3

    # The mayor of Lille (59350) would be stranded: refused, naming them.
    stranded = client.put("/tenant", json={"name": "x", "communes": []}, headers=admin)
    assert stranded.status_code == 422
    assert "mayor-1 (59350)" in stranded.json()["detail"]

    bad = client.put(
        "/tenant", json={"name": "x", "communes": [{"code": "1", "name": "y"}]}, headers=admin
    )
    assert bad.status_code == 422


def test_bad_request_id_is_refused_and_a_good_one_echoed(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    headers = login(client, "admin-1")
    echoed = client.get("/auth/me", headers={**headers, "X-Request-ID": "req-42"})
    assert echoed.headers["X-Request-ID"] == "req-42"
    refused = client.get("/auth/me", headers={**headers, "X-Request-ID": "has spaces"})
    assert refused.status_code == 400
