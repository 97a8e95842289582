"""RabbitMQ restarted (`stop_app`, a few seconds, `start_app`) mid-campaign and mid-solve.

On a private RabbitMQ node (`tests/private_broker.py`): the shared broker on 5672 serves every
other test run on the machine and is never stopped. alerts and routing run with `nameko run`; the
gateway is the real app. What a user must see: the request in flight when the broker went away
gets a clear 503, not a hang; the services reconnect by themselves; the gateway's RPC pool answers
again without a restart; every phone of the campaign gets its SMS exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role
from tests.conftest import REPO_ROOT
from tests.integration.gateway.alert_builders import (
    campaign_request,
    eventually,
    import_csv,
    mobile,
    person,
)
from tests.integration.gateway.conftest import login
from tests.integration.gateway.test_rounds_http import meal_request, paris_today
from tests.private_broker import PrivateBroker
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port

pytestmark = pytest.mark.integration

PEOPLE = 240
SMS_RATE = 40  # per second: six seconds of sending, long enough to restart the broker in it
DOWN_S = 4


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    node = PrivateBroker().start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def quiet_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    sandbox = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"})
    sandbox.start(tmp_path_factory.mktemp("sandbox") / "sandbox.log")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def services_on_broker(
    broker: PrivateBroker,
    quiet_sandbox: SandboxProcess,
    redis_url: str,
    kempen_drive_artefact: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    """alerts and routing on the private node; yields their log."""
    log_path = tmp_path_factory.mktemp("services") / "nameko.log"
    env = {
        **os.environ,
        "AMQP_URI": broker.amqp_uri,
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": quiet_sandbox.base_url,
        "ALERTS_SMS_RATE": str(SMS_RATE),
        "ROUTING_GRAPH": str(kempen_drive_artefact),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "infra/nameko.yaml",
             "services.routing.service", "services.alerts.service"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=8)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _accepted(client: TestClient, headers: dict[str, str], campaign_id: str) -> int:
    response = client.get(f"/campaigns/{campaign_id}", headers=headers)
    if response.status_code != 200:
        return 0
    progress = response.json()["progress"]
    return sum(int(p["by_status"].get("accepted", 0)) for p in progress)


def _serving(client: TestClient, headers: dict[str, str], log: Path) -> None:
    def answers() -> bool:
        return client.get("/campaigns", headers=headers).status_code == 200

    try:
        eventually(answers, "alerts answering through the gateway", timeout_s=60)
    except AssertionError:
        raise AssertionError(log.read_text(errors="replace")[-3000:]) from None


def test_a_broker_restart_mid_campaign_and_mid_solve_loses_nothing_and_repeats_nothing(
    broker: PrivateBroker,
    services_on_broker: Path,
    quiet_sandbox: SandboxProcess,
    make_client: Callable[..., TestClient],
    role_users: dict[Role, str],
) -> None:
    client = make_client(broker.amqp_uri)
    dispatcher = login(client, role_users[Role.DISPATCHER])
    _serving(client, dispatcher, services_on_broker)
    phones = [mobile() for _ in range(PEOPLE)]
    report = import_csv(client, dispatcher, [person(f"P{i}", p) for i, p in enumerate(phones)])
    assert report["imported"] == PEOPLE
    request = campaign_request(channels=("sms",))
    campaign = client.post("/campaigns", json=request, headers=dispatcher)
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["campaign_id"]
    assert client.post(f"/campaigns/{campaign_id}/send", headers=dispatcher).status_code == 202
    eventually(lambda: _accepted(client, dispatcher, campaign_id) >= PEOPLE // 4, "a quarter sent")

    # A solve in flight when the broker goes: 30 s of solving, far longer than the outage.
    solve = meal_request(paris_today(), role_users[Role.DRIVER]) | {
        "time_limit_s": 30, "client_key": f"plan-{time.time_ns()}",
    }  # fmt: skip
    in_flight: dict[str, Any] = {}

    def plan() -> None:
        response = client.post("/rounds/meals", json=solve, headers=dispatcher, timeout=90)
        in_flight.update(status=response.status_code, body=response.json())

    solver = threading.Thread(target=plan)
    solver.start()
    time.sleep(1.5)  # the request is with routing, solving
    broker.stop_app()
    stopped_at = time.monotonic()
    # Not a hang: the caller hears well before the 30 s solve (or the gateway's deadline) ends.
    solver.join(timeout=15)
    assert not solver.is_alive(), "the in-flight solve still hangs 15 s after the broker stopped"
    assert in_flight["status"] == 503, in_flight
    assert "routing" in in_flight["body"]["detail"]
    assert "same client_key" in in_flight["body"]["detail"]  # how to get the plan, not a second
    # While the broker is down, every call is a quick 503 naming the service.
    down = client.get(f"/campaigns/{campaign_id}", headers=dispatcher)
    assert down.status_code == 503 and "alerts" in down.json()["detail"]
    time.sleep(max(0.0, stopped_at + DOWN_S - time.monotonic()))
    broker.start_app()

    # The services reconnect by themselves, and the pool recovers: once one call is answered,
    # the next ones (more than the pool has threads) all are.
    _serving(client, dispatcher, services_on_broker)
    answers = [client.get("/campaigns", headers=dispatcher).status_code for _ in range(24)]
    assert answers == [200] * 24, answers
    # Sent again with its client_key: the plan of that request, whichever solve made it.
    again = client.post(
        "/rounds/meals", json=solve | {"time_limit_s": 1}, headers=dispatcher, timeout=60
    )
    assert again.status_code == 201, again.text

    eventually(
        lambda: _accepted(client, dispatcher, campaign_id) >= PEOPLE,
        "every recipient accepted after the restart",
        timeout_s=60,
    )
    # The interrupted solve, its redelivery and the retry make one plan between them.
    day = client.get("/rounds", params={"date": paris_today().isoformat()}, headers=dispatcher)
    assert [r["round_id"] for r in day.json()] == [again.json()["round_id"]]
    counts = [len(quiet_sandbox.phone(p)["messages"]) for p in phones]
    assert counts.count(1) == PEOPLE, (
        f"missing: {counts.count(0)}, twice or more: {sum(c > 1 for c in counts)}"
    )
