"""The compose stack as a user runs it: healthy, an alert campaign to every phone once through the
Twilio sandbox container (delivered by the alerts-sender processes, the receipts taken in by
alerts-status, and none lost while the senders are stopped), a meal round on the real road
graph, Redis killed and restarted losing nothing (AOF), no broker or store port on the host, and
a production profile that refuses sandbox credentials.

Run with `make test-docker` (it gets a Docker engine and the images first).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests import waiting
from tests.docker.compose import Compose
from tests.docker.conftest import LILLE, login

# The first test waits for the whole stack to come up (two minutes on a busy machine).
pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]
KITCHEN = [51.2667, 4.7125]  # real places in the Kempen extract the routing container loads
HEADER = ("nom", "prénom", "téléphone", "commune", "date consentement", "vulnérable", "canal")
HOMES = {
    "d1": [51.2983, 4.7331],
    "d2": [51.2260, 4.7720],
    "d3": [51.2480, 4.8420],
    "d4": [51.2860, 4.8020],
}


def eventually[T](check: Callable[[], T | None], what: str, timeout_s: float = 120) -> T:
    """As tests/waiting.py's, with the longer wait containers need."""
    return waiting.eventually(check, what, timeout_s)


def mobiles(first: int, count: int) -> list[str]:
    """French mobile numbers (06 12 34 5x xx), distinct per call site."""
    return [f"+3361234{first + i:04d}" for i in range(count)]


def import_contacts(client: httpx.Client, headers: dict[str, str], phones: list[str]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(
        # One name per phone: the same name in the same commune is the same person (merged).
        (f"Habitant{p[-4:]}", "Jeanne", p, LILLE, "01/03/2024", "non", "")
        for p in phones
    )
    response = client.post(
        "/contacts/import",
        content=out.getvalue().encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == len(phones), response.text


def send_campaign(client: httpx.Client, headers: dict[str, str], message: str) -> str:
    request = {
        "title": "Crue de la Lys",
        "message": message,
        "severity": "warning",
        "target": {"communes": [LILLE]},
        "channels": ["sms"],
    }
    created = client.post("/campaigns", json=request, headers=headers)
    assert created.status_code == 201, created.text
    campaign_id: str = created.json()["campaign_id"]
    sent = client.post(f"/campaigns/{campaign_id}/send", headers=headers)
    assert sent.status_code == 202, sent.text
    return campaign_id


def report(client: httpx.Client, headers: dict[str, str], campaign_id: str) -> dict[str, str]:
    """phone -> status, one row per recipient (a second row for a phone would be a double send)."""
    response = client.get(f"/campaigns/{campaign_id}/report.csv", headers=headers)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    phones = [row["phone"] for row in rows]
    assert len(phones) == len(set(phones)), f"a phone appears twice in the report: {rows}"
    return {row["phone"]: row["status"] for row in rows}


def wait_delivered(
    client: httpx.Client, headers: dict[str, str], campaign_id: str, phones: list[str]
) -> dict[str, str]:
    """Waits until every recipient of the campaign is delivered; `phones` must be among them."""

    def all_delivered() -> dict[str, str] | None:
        statuses = report(client, headers, campaign_id)
        done = set(phones) <= set(statuses) and set(statuses.values()) == {"delivered"}
        return statuses if done else None

    return eventually(all_delivered, f"every phone of {campaign_id} delivered")


def inbox(sandbox: httpx.Client, phone: str) -> list[str]:
    response = sandbox.get(f"/sandbox/phones/{quote(phone)}")
    assert response.status_code == 200, response.text
    return [message["body"] for message in response.json()["messages"]]


def plan_meal_round(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    day = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    body = {
        "date": day.isoformat(),
        "kitchen": KITCHEN,
        "deliveries": [
            {
                "id": stop,
                "location": where,
                "window_start": "10:30",
                "window_end": "13:00",
                "recipient_name": f"Mme {stop}",
                "address": f"{stop} Dorpstraat, Zoersel",
            }
            for stop, where in HOMES.items()
        ],
        "vehicles": [
            {
                "id": "van-1",
                "capacity": 10,
                "shift_start": "10:00",
                "shift_end": "14:00",
                "driver": "driver",
            }
        ],
        "time_limit_s": 1,
    }
    response = client.post("/rounds/meals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def test_the_stack_reports_healthy(gateway: httpx.Client) -> None:
    response = gateway.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "broker": "ok",
        "redis": "ok",
        "services": {"routing": "ok", "carpool": "ok", "alerts": "ok"},
    }


def test_a_campaign_reaches_every_phone_once_through_the_sandbox(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    mayor = login(gateway, "mayor")
    phones = mobiles(1000, 12)
    import_contacts(gateway, mayor, phones)

    campaign_id = send_campaign(gateway, mayor, "Crue de la Lys : evitez les berges.")

    wait_delivered(gateway, mayor, campaign_id, phones)
    text = "Crue de la Lys : evitez les berges."
    assert {phone: inbox(sandbox, phone) for phone in phones} == {phone: [text] for phone in phones}
    detail = gateway.get(f"/campaigns/{campaign_id}", headers=mayor).json()
    assert detail["progress"][0]["by_status"] == {"delivered": detail["progress"][0]["total"]}


def test_the_sender_processes_deliver_and_a_stopped_one_loses_nothing(
    stack: Compose, gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    """The alerts service only answers (ALERTS_DELIVERY=external): the alerts-sender containers
    deliver. With none running, a campaign waits; once one starts, every phone gets it once."""
    mayor = login(gateway, "mayor")
    phones = mobiles(3000, 5)
    import_contacts(gateway, mayor, phones)
    stack.run("stop", "alerts-sender", timeout=60)
    try:
        campaign_id = send_campaign(gateway, mayor, "Coupure d'eau demain matin.")
        time.sleep(5)  # long enough for an inline send of five to have begun; none may have
        assert {phone: inbox(sandbox, phone) for phone in phones} == {p: [] for p in phones}
    finally:
        stack.run("start", "alerts-sender", timeout=60)
    wait_delivered(gateway, mayor, campaign_id, phones)
    assert {phone: inbox(sandbox, phone) for phone in phones} == {
        p: ["Coupure d'eau demain matin."] for p in phones
    }


def test_a_meal_round_is_planned_on_the_road_graph_and_the_driver_gets_it(
    gateway: httpx.Client,
) -> None:
    plan = plan_meal_round(gateway, login(gateway, "dispatcher"))

    assert plan["feasible"] is True and plan["unserved"] == []
    (van,) = plan["vehicles"]
    assert sorted(stop["id"] for stop in van["stops"]) == sorted(HOMES)
    assert van["km"] > 0
    mine = gateway.get("/me/round", headers=login(gateway, "driver"))
    assert mine.status_code == 200, mine.text
    assert [r["round_id"] for r in mine.json()] == [plan["round_id"]]


def test_redis_killed_and_restarted_loses_nothing_and_the_stack_carries_on(
    stack: Compose, gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    mayor, dispatcher = login(gateway, "mayor"), login(gateway, "dispatcher")
    phones = mobiles(2000, 6)
    import_contacts(gateway, mayor, phones)
    campaign_id = send_campaign(gateway, mayor, "Vigilance orange orages.")
    recipients = list(wait_delivered(gateway, mayor, campaign_id, phones))
    plan = plan_meal_round(gateway, dispatcher)
    before = {
        "campaign": gateway.get(f"/campaigns/{campaign_id}", headers=mayor).json(),
        "report": report(gateway, mayor, campaign_id),
        "round": gateway.get(f"/rounds/{plan['round_id']}", headers=dispatcher).json(),
    }
    # A hard kill, not a clean shutdown (which would also write a snapshot): only the AOF, synced
    # every second, can bring the data back. Wait past that second first.
    time.sleep(2.5)
    stack.run("kill", "-s", "SIGKILL", "redis", timeout=60)
    stack.run("start", "redis", timeout=120)
    stack.wait_healthy(["redis"], timeout_s=120)
    eventually(lambda: gateway.get("/health").status_code == 200, "the stack healthy again")

    login(gateway, "mayor")  # the users survived, and the sessions opened before (used below)
    after = {
        "campaign": gateway.get(f"/campaigns/{campaign_id}", headers=mayor).json(),
        "report": report(gateway, mayor, campaign_id),
        "round": gateway.get(f"/rounds/{plan['round_id']}", headers=dispatcher).json(),
    }
    assert after == before
    # The services reconnected: a follow-up reaches everyone, once more each and only once.
    update = gateway.post(
        f"/campaigns/{campaign_id}/update", json={"text": "Fin des orages."}, headers=mayor
    )
    assert update.status_code == 202, update.text
    eventually(
        lambda: all(
            inbox(sandbox, p)[-2:] == ["Vigilance orange orages.", "Fin des orages."]
            for p in recipients
        ),
        "the follow-up in every inbox",
    )
    assert {p: inbox(sandbox, p) for p in phones} == {
        p: ["Vigilance orange orages.", "Fin des orages."] for p in phones
    }


def test_rabbitmq_and_redis_publish_no_port_on_the_host(stack: Compose) -> None:
    assert stack.published_ports("rabbitmq") == ""
    assert stack.published_ports("redis") == ""
    assert stack.published_ports("gateway").startswith("8000/tcp -> 127.0.0.1:")
    assert stack.published_ports("alerts-status").startswith("8090/tcp -> 127.0.0.1:")


@pytest.mark.parametrize("service", ["alerts", "alerts-status", "gateway", "twilio-sandbox"])
def test_the_production_profile_refuses_the_sandbox_credentials(
    stack: Compose, compose_env: dict[str, str], service: str
) -> None:
    production = Compose(
        stack.project,
        stack.directory,
        {**compose_env, "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""},
        files=("docker-compose.yml", "docker-compose.production.yml"),
    )
    refused = production.run("run", "--rm", "--no-deps", "-T", service, check=False, timeout=120)

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "refusing to start in the production profile" in refused.stderr
