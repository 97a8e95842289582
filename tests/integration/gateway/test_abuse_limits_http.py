"""Abuse limits over HTTP on the real Redis: login throttling, hashing bounded and resized,
every body capped, inbound SMS limited per number."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.users import StoredUser, UserStore

from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration


@pytest.fixture
def client(make_client: Callable[..., TestClient], empty_amqp_uri: str) -> TestClient:
    return make_client(empty_amqp_uri, rpc_timeout_s=1.0)


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict, dict]:
    response = client.post("/auth/login", json={"username": username, "password": password})
    return response.status_code, response.json(), dict(response.headers)


def test_thirty_wrong_passwords_then_the_right_one_is_refused_with_retry_after(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    statuses = [_login(client, "admin-1", f"guess number {n}")[0] for n in range(30)]
    assert statuses[:3] == [401, 401, 401]  # a few mistakes cost nothing
    assert 429 in statuses
    status, body, headers = _login(client, "admin-1", PASSWORD)
    assert status == 429
    assert body["detail"].startswith("too many failed logins for this username")
    assert int(headers["retry-after"]) >= 1


def test_the_lock_says_how_long_and_spares_other_accounts(
    make_client: Callable[..., TestClient], empty_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    client = make_client(empty_amqp_uri, login_lock_after=4, login_lock_s=600)
    for n in range(4):
        assert _login(client, "mayor-1", f"guess number {n}")[0] == 401
    status, body, headers = _login(client, "mayor-1", PASSWORD)
    assert status == 429
    assert body["detail"] == (
        "too many failed logins for this username: locked for 10 minute(s); "
        "try again in 600 s or ask an administrator"
    )
    assert 590 <= int(headers["retry-after"]) <= 600
    login(client, "driver-1")  # same address, another account: not locked


def test_one_address_guessing_many_names_is_locked_too(
    make_client: Callable[..., TestClient], empty_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    client = make_client(empty_amqp_uri, address_lock_after=21, login_lock_s=300)
    for n in range(21):
        assert _login(client, f"someone-{n}", "a guessed password")[0] == 401
    status, body, headers = _login(client, "driver-1", PASSWORD)
    assert status == 429
    assert body["detail"].startswith("too many failed logins for this address: locked")
    assert int(headers["retry-after"]) >= 1


def test_a_correct_login_after_a_few_mistakes_forgets_them(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    for _ in range(3):
        for n in range(3):
            assert _login(client, "driver-1", f"typo {n}")[0] == 401
        login(client, "driver-1")  # never slowed: each success wipes the account's count


def test_an_old_hash_is_resized_at_login(
    client: TestClient, redis_conn: redis.Redis, tenant: str, store: UserStore
) -> None:
    old = PasswordHasher()  # argon2-cffi's default: 64 MiB, p=4
    store.add_user(
        UserCreate(username="ancien", password=PASSWORD, role=Role.DRIVER), old.hash(PASSWORD)
    )
    assert "$m=65536,t=3,p=4$" in (store.get_user("ancien") or pytest.fail()).password_hash
    headers = login(client, "ancien")
    resized = store.get_user("ancien")
    assert isinstance(resized, StoredUser)
    assert "$m=19456,t=2,p=1$" in resized.password_hash
    assert client.get("/auth/me", headers=headers).status_code == 200  # the session survives
    login(client, "ancien")


def test_concurrent_logins_beyond_the_hashing_slots_get_a_clear_503(
    make_client: Callable[..., TestClient], empty_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    client = make_client(empty_amqp_uri, hashing_concurrency=1, hashing_wait_s=0)
    start = threading.Barrier(12)
    answers: list[tuple[int, dict, dict]] = []

    def attempt(n: int) -> None:
        start.wait()
        answers.append(_login(client, "dispatcher-1", PASSWORD))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _, _ in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    busy = next((body, headers) for status, body, headers in answers if status == 503)
    assert busy[0] == {"detail": "too many logins at this moment; try again in a few seconds"}
    assert busy[1]["retry-after"] == "2"


def test_a_json_body_over_the_cap_is_refused_with_413(client: TestClient) -> None:
    huge = '{"username": "x", "password": "' + "a" * 2_000_000 + '"}'
    declared = client.post(
        "/auth/login", content=huge, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json() == {
        "detail": "the request body is larger than 1 MB, the most this endpoint accepts"
    }


def test_a_chunked_body_without_length_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "x", "password": "'
        for _ in range(40):
            yield b"a" * 64_000
        yield b'"}'

    response = client.post(
        "/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.json()["detail"]


def test_a_lying_content_length_is_not_trusted(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    client = make_client(empty_amqp_uri, max_body_bytes=2048)
    body = b'{"username": "x", "password": "' + b"a" * 5000 + b'"}'
    # Declared small, sent large: the cap holds on what arrives.
    response = client.post(
        "/auth/login",
        content=iter([body[:1000], body[1000:]]),
        headers={"Content-Type": "application/json", "Content-Length": "1000"},
    )
    assert response.status_code == 413
    assert "larger than 2 kB" in response.json()["detail"]


def test_uploads_keep_their_own_larger_cap(client: TestClient, role_users: dict[Role, str]) -> None:
    admin = login(client, "admin-1")
    csv_header = b"name,phone,commune\n"
    three_mb = csv_header + b"Jeanne,+33612345678,59350\n" * 110_000
    accepted = client.post(
        "/contacts/import", content=three_mb, headers={**admin, "Content-Type": "text/csv"}
    )
    assert accepted.status_code != 413  # past the cap: it reaches the (absent) alerts service
    six_mb = three_mb * 2
    refused = client.post(
        "/contacts/import", content=six_mb, headers={**admin, "Content-Type": "text/csv"}
    )
    assert refused.status_code == 413
    assert refused.json()["detail"].startswith("the file is larger than 5 MB")


def test_inbound_sms_are_limited_per_number(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    client = make_client(empty_amqp_uri, inbound_sms_per_minute=2, rpc_timeout_s=0.5)
    if 60 - time.time() % 60 < 5:
        time.sleep(60 - time.time() % 60)  # the three posts must fall in one minute
    headers = {"X-Twilio-Signature": "c2lnbmVk"}

    def post(number: str) -> tuple[int, dict, dict]:
        response = client.post(
            "/webhooks/twilio/inbound", data={"From": number, "Body": "STOP"}, headers=headers
        )
        return response.status_code, response.json(), dict(response.headers)

    first, second = post("+33612345678"), post("+33612345678")
    assert first[0] != 429 and second[0] != 429  # heard (the alerts service is absent: 503)
    status, body, answer_headers = post("+33612345678")
    assert status == 429
    assert body["detail"].startswith("more than 2 messages a minute from this number")
    assert int(answer_headers["retry-after"]) >= 1
    assert post("+33698765432")[0] != 429  # another number is not affected
