"""/health with and without the services, and a failed delivery travelling through them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pika
import pytest
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.rpc import ServiceFailed
from services.gateway.users import UserStore

from .conftest import PASSWORD, login
from .test_rounds_http import meal_request, paris_today

pytestmark = pytest.mark.integration


def failure_body(commune: str = "59350") -> dict[str, str]:
    return {
        "commune": commune,
        "recipient_name": "Mme Lefebvre",
        "reason": "no_answer",
        "attempted_at": datetime.now(UTC).isoformat(),
        "note": "volets fermés",
    }


def plan_todays_round_with(client: TestClient, delivery_id: str) -> None:
    """Today's meal round, driven by driver-1, holds `delivery_id`: only then may they report it."""
    body = meal_request(paris_today(), "driver-1")
    body["deliveries"][0]["id"] = delivery_id
    planned = client.post("/rounds/meals", json=body, headers=login(client, "dispatcher-1"))
    assert planned.status_code == 201, planned.text


def test_health_is_degraded_and_names_every_service_when_none_runs(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    response = make_client(empty_amqp_uri).get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "broker": "ok",
        "redis": "ok",
        "services": {"routing": "down", "carpool": "down", "alerts": "down"},
    }


def test_health_reports_the_broker_down_without_hanging(
    make_client: Callable[..., TestClient],
) -> None:
    response = make_client("amqp://guest:guest@127.0.0.1:1/").get("/health")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert set(response.json()["services"].values()) == {"down"}


@pytest.fixture
def silent_routing(empty_amqp_uri: str) -> Iterator[str]:
    """A consumer on `rpc-routing` that never answers: the service looks alive but is stuck."""
    connection = pika.BlockingConnection(pika.URLParameters(empty_amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("nameko-rpc", "topic", durable=True)
    channel.queue_declare("rpc-routing", durable=True)
    channel.queue_bind("rpc-routing", "nameko-rpc", "routing.*")
    channel.basic_consume("rpc-routing", lambda *args: None, auto_ack=False)
    yield empty_amqp_uri
    connection.close()


def test_a_service_that_never_answers_is_unresponsive(
    make_client: Callable[..., TestClient], silent_routing: str
) -> None:
    response = make_client(silent_routing).get("/health")
    assert response.status_code == 503
    assert response.json()["services"]["routing"] == "unresponsive"


def test_health_is_ok_when_the_services_run(
    make_client: Callable[..., TestClient], services_amqp_uri: str
) -> None:
    response = make_client(services_amqp_uri).get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "broker": "ok",
        "redis": "ok",
        "services": {"routing": "ok", "carpool": "ok", "alerts": "ok"},
    }


def test_health_names_only_the_missing_service(
    make_client: Callable[..., TestClient], services_amqp_uri: str
) -> None:
    client = make_client(services_amqp_uri, services=("routing", "alerts", "carpool", "billing"))
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["services"] == {
        "routing": "ok",
        "alerts": "ok",
        "carpool": "ok",
        "billing": "down",
    }


def test_services_lists_each_ping(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    role_users: dict[Role, str],
) -> None:
    client = make_client(services_amqp_uri)
    listed = client.get("/services", headers=login(client, "dispatcher-1")).json()
    assert [s["name"] for s in listed] == ["routing", "carpool", "alerts"]
    assert all(s["state"] == "ok" and s["version"] and s["redis"] == "ok" for s in listed)


def wait_for_escalation(
    client: TestClient, headers: dict[str, str], delivery_id: str, timeout_s: float = 30
) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get("/escalations", headers=headers)
        assert response.status_code == 200, response.text
        found = [e for e in response.json() if e["subject_id"] == delivery_id]
        if found:
            return found
        assert time.monotonic() < deadline, f"no escalation for {delivery_id} in {timeout_s} s"
        time.sleep(0.2)


def test_a_failed_delivery_reaches_the_dispatcher_and_the_right_mayor(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    role_users: dict[Role, str],
    store: UserStore,
) -> None:
    client = make_client(services_amqp_uri)
    create_user(
        store,
        UserCreate(
            username="maire-villeneuve", password=PASSWORD, role=Role.MAYOR, communes=("59009",)
        ),
    )
    plan_todays_round_with(client, "d-4-stops-2")
    response = client.post(
        "/deliveries/d-4-stops-2/failure",
        json=failure_body("59350"),
        headers={**login(client, "driver-1"), "X-Request-ID": "trace-me"},
    )
    assert response.status_code == 202, response.text
    assert response.json() == {
        "delivery_id": "d-4-stops-2",
        "status": "failed",
        "new": True,
        "correlation_id": "trace-me",
    }

    escalation = wait_for_escalation(client, login(client, "dispatcher-1"), "d-4-stops-2")[0]
    assert escalation["commune"] == "59350"
    assert "Mme Lefebvre" in str(escalation["summary"])
    # The mayor of Lille sees it; the mayor of Villeneuve-d'Ascq does not.
    assert wait_for_escalation(client, login(client, "mayor-1"), "d-4-stops-2")
    others = client.get("/escalations", headers=login(client, "maire-villeneuve")).json()
    assert all(e["subject_id"] != "d-4-stops-2" for e in others)


def test_reporting_the_same_attempt_twice_is_not_new(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    role_users: dict[Role, str],
) -> None:
    client = make_client(services_amqp_uri)
    plan_todays_round_with(client, "d-twice")
    body, driver = failure_body(), login(client, "driver-1")
    first = client.post("/deliveries/d-twice/failure", json=body, headers=driver)
    second = client.post("/deliveries/d-twice/failure", json=body, headers=driver)
    assert (first.json()["new"], second.json()["new"]) == (True, False)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"commune": "75056"}, "not a commune of this tenant"),
        ({"reason": "on holiday"}, "reason"),
        ({"attempted_at": "2025-01-01T10:00:00"}, "attempted_at"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_bad_failure_reports_are_422_with_the_reason(
    make_client: Callable[..., TestClient],
    empty_amqp_uri: str,
    role_users: dict[Role, str],
    change: dict[str, str],
    expected: str,
) -> None:
    client = make_client(empty_amqp_uri)
    body = {**failure_body(), **change}
    response = client.post("/deliveries/d-1/failure", json=body, headers=login(client, "driver-1"))
    assert response.status_code == 422
    assert expected in str(response.json()["detail"])


def test_without_routing_a_failure_report_is_503_not_500(
    make_client: Callable[..., TestClient], empty_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    client = make_client(empty_amqp_uri, rpc_timeout_s=1.0)
    response = client.post(
        "/deliveries/d-1/failure", json=failure_body(), headers=login(client, "driver-1")
    )
    assert response.status_code == 503
    assert "routing" in response.json()["detail"]


def test_a_stuck_routing_gives_503_after_the_timeout(
    make_client: Callable[..., TestClient], silent_routing: str, role_users: dict[Role, str]
) -> None:
    client = make_client(silent_routing, rpc_timeout_s=0.5)
    response = client.post(
        "/deliveries/d-1/failure", json=failure_body(), headers=login(client, "driver-1")
    )
    assert response.status_code == 503
    assert "no answer within 0.5 s" in response.json()["detail"]


@pytest.mark.parametrize(("exc_type", "status"), [("InvalidMessage", 422), ("KeyError", 502)])
def test_service_errors_map_to_4xx_or_502(
    make_client: Callable[..., TestClient],
    empty_amqp_uri: str,
    role_users: dict[Role, str],
    monkeypatch: pytest.MonkeyPatch,
    exc_type: str,
    status: int,
) -> None:
    client = make_client(empty_amqp_uri)

    def refuse(service: str, method: str, *args: object) -> object:
        raise ServiceFailed(service, exc_type, "bad DeliveryFailureReport payload: reason")

    monkeypatch.setattr(client.app.state.gateway.rpc, "call", refuse)  # type: ignore[attr-defined]
    response = client.post(
        "/deliveries/d-1/failure", json=failure_body(), headers=login(client, "driver-1")
    )
    assert response.status_code == status
    if status == 422:
        assert "payload: reason" in response.json()["detail"]
