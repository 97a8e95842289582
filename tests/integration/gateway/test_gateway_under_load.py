"""The gateway under load (issue 14): /health keeps its broker connection; a long round solve
never holds up the rest of the API. (Provider receipts at load have a receiver of their own:
tests/integration/alerts/test_status_receiver.py, bench/gateway.py.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from contracts.users import Role
from services.gateway.health import CONNECTION_NAME
from tests.integration.gateway.alert_builders import (
    campaign_request,
)
from tests.integration.gateway.conftest import _management, login
from tests.integration.gateway.test_rounds_http import meal_request, paris_today
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

SOLVE_S = 30  # a long solve's time limit (a dispatcher may ask up to 120 s)


def _health_connections(amqp_uri: str) -> list[str]:
    """The names (peer address and port) of the health checker's connections on this vhost."""
    api, auth = _management(amqp_uri)
    vhost = quote(urlsplit(amqp_uri).path.lstrip("/"), safe="")
    found = httpx.get(f"{api}/vhosts/{vhost}/connections", auth=auth, timeout=10).json()
    return sorted(
        c["name"]
        for c in found
        if (c.get("client_properties") or {}).get("connection_name") == CONNECTION_NAME
    )


def _rpc_busy(amqp_uri: str) -> bool:
    """Whether routing holds at least two requests it has not answered yet."""
    api, auth = _management(amqp_uri)
    vhost = quote(urlsplit(amqp_uri).path.lstrip("/"), safe="")
    queue = httpx.get(f"{api}/queues/{vhost}/rpc-routing", auth=auth, timeout=10).json()
    return int(queue.get("messages_unacknowledged", 0)) + int(queue.get("messages_ready", 0)) >= 2


def test_health_checks_reuse_one_broker_connection(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    client = make_client(empty_amqp_uri)
    for _ in range(5):
        assert client.get("/health").json()["broker"] == "ok"
    # The management API lists connections a few seconds late.
    first = wait_for(
        "a kept health connection to be listed", lambda: _health_connections(empty_amqp_uri)
    )
    for _ in range(10):
        assert client.get("/health").json()["broker"] == "ok"
    time.sleep(1)
    assert _health_connections(empty_amqp_uri) == first and len(first) == 1


def test_a_mayors_send_is_answered_while_round_solves_run(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    role_users: dict[Role, str],
) -> None:
    """As many long solves as the gateway has RPC threads: the send still gets its answer while
    they run (before, each solve held one of those threads for its whole time limit)."""
    client = make_client(services_amqp_uri, rpc_workers=2, rpc_timeout_s=10)
    dispatcher = login(client, role_users[Role.DISPATCHER])
    mayor = login(client, role_users[Role.MAYOR])
    body = {**meal_request(paris_today(), "driver-1"), "time_limit_s": SOLVE_S}
    plans: list[httpx.Response] = []

    def plan() -> None:
        plans.append(client.post("/rounds/meals", json=body, headers=dispatcher))

    solves = [threading.Thread(target=plan) for _ in range(2)]
    for thread in solves:
        thread.start()
    try:
        # Let both solves reach routing (set-up, not a measurement).
        wait_for("the solves to reach routing", lambda: _rpc_busy(services_amqp_uri))
        created = client.post("/campaigns", json=campaign_request(), headers=mayor)
        assert created.status_code == 201, created.text
        sent = client.post(f"/campaigns/{created.json()['campaign_id']}/send", headers=mayor)
        assert sent.status_code == 202, sent.text
        assert all(thread.is_alive() for thread in solves), "the send waited for the solves"
    finally:
        for thread in solves:  # never leave a request running into the client's teardown
            thread.join(timeout=SOLVE_S + 60)
    assert [p.status_code for p in plans] == [201, 201], [p.text for p in plans]
    assert all(p.json()["vehicles"][0]["stops"] for p in plans)
