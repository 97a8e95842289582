"""A senior's personal data over HTTP (issue 9, RGPD), on the real services: a dispatcher exports
everything routing holds about a senior, then erases them; a family may do neither."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role
from tests.integration.gateway.conftest import login, ok
from tests.integration.gateway.test_meals_http import DAY, _setup, families  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture
def client(make_client: Callable[..., TestClient], services_amqp_uri: str) -> TestClient:
    return make_client(services_amqp_uri)


def test_a_dispatcher_exports_then_erases_a_senior(
    client: TestClient,
    role_users: dict[Role, str],
    families: tuple[str, str],  # noqa: F811
) -> None:
    dispatcher = login(client, role_users[Role.DISPATCHER])
    _setup(client, dispatcher, families)
    family_a = login(client, families[0])
    ok(client.put(f"/seniors/s-a/orders/{DAY}", json={"choice_id": "colin"}, headers=family_a))

    refused = [
        client.get("/seniors/s-a/export", headers=family_a).status_code,
        client.delete("/seniors/s-a", headers=family_a).status_code,
    ]
    exported = ok(client.get("/seniors/s-a/export", headers=dispatcher))
    erased = ok(client.delete("/seniors/s-a", headers=dispatcher))
    after = [
        client.get("/seniors/s-a", headers=dispatcher),
        client.get("/seniors/s-a/export", headers=dispatcher),
        client.delete("/seniors/s-a", headers=dispatcher),
        client.delete("/seniors/s-nobody", headers=dispatcher),
    ]

    assert refused == [403, 403]
    assert exported["senior"]["last_name"] == "Lefebvre"
    assert exported["senior"]["emergency_contacts"][0]["phone"] == "+33612345678"
    assert exported["senior"]["families"][0]["username"] == families[0]
    assert [o["choice_id"] for o in exported["orders"]] == ["colin"]
    assert exported["history"] and exported["deliveries"] == {}
    # Not delivered: the order goes entirely.
    assert erased == {"erased": True, "orders_removed": 1, "meals_kept_anonymous": 0}
    assert [r.status_code for r in after] == [404] * 4
    assert after[3].json()["detail"] == after[2].json()["detail"].replace("s-a", "s-nobody")
    assert ok(client.get("/seniors", headers=family_a)) == []
    sheet = ok(client.get("/meals/kitchen-sheet", params={"date": str(DAY)}, headers=dispatcher))
    assert sheet["total"] == 0
