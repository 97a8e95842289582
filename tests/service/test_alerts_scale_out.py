"""Three delivery instances share one campaign; one is killed with -9 half-way. Run twice: three
nameko alerts services delivering inline, and one alerts service (RPC only) with three asyncio
sender processes (`services.alerts.async_sender`).

What a user notices: every phone gets the alert exactly once, the campaign ends `sent`, and the
provider never refuses a message for going over the account's rate: the three instances keep
one pace between them (one bucket in Redis), not one pace each.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from tests.callers import DISPATCHER
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, REPO_ROOT, SandboxProcess, free_port

pytestmark = pytest.mark.service

PEOPLE = 450
PROVIDER_RATE = 70  # what the sandbox accepts per second before answering 429
OUR_RATE = 35  # what the deployment sends, across all its instances (3 × 35 would exceed it)


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    env = {"SANDBOX_CALLBACKS": "off", "SANDBOX_RATE_LIMIT": str(PROVIDER_RATE)}
    process = SandboxProcess(free_port(), env=env).start()
    yield process
    process.stop()


def _start(
    config: dict[str, Any], sandbox: SandboxProcess, log: Path, part: str
) -> subprocess.Popen[bytes]:
    """`part`: "inline" (a nameko alerts service that delivers), "rpc" (one that does not),
    or "asyncio" (an asyncio sender process)."""
    env = {
        **os.environ,
        "AMQP_URI": config["AMQP_URI"],
        "REDIS_URL": config["REDIS_URL"],
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_SMS_RATE": str(OUR_RATE),
        "ALERTS_LEASE_S": "3",
        "ALERTS_DELIVERY": "inline" if part == "inline" else "external",
    }
    command = (
        ["-m", "services.alerts.async_sender"]
        if part == "asyncio"
        else ["-m", "nameko", "run", "--config", "infra/nameko.yaml",
              "services.alerts.service:AlertsService"]
    )  # fmt: skip
    return subprocess.Popen(
        [sys.executable, *command],
        cwd=REPO_ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_until_serving(config: dict[str, Any], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with ServiceRpcProxy("alerts", config, timeout=5) as alerts:
                alerts.ping()
                return
        except Exception:
            if time.monotonic() > deadline:
                raise AssertionError("alerts did not start: " + log.read_text()[-2000:]) from None
            time.sleep(0.3)


def _view(alerts: Any, tenant: str, campaign_id: str) -> dict[str, Any]:
    return dict(alerts.get_campaign(tenant, DISPATCHER, campaign_id))


def _accepted(view: dict[str, Any]) -> int:
    return int(view["progress"][0]["by_status"].get("accepted", 0))


@pytest.mark.parametrize("delivery", ["inline", "asyncio"])
def test_three_instances_and_a_kill_9_keep_the_pace_and_send_each_alert_once(
    service_config: dict[str, Any],
    sandbox: SandboxProcess,
    tenant: str,
    tmp_path: Path,
    delivery: str,
) -> None:
    rows = [
        f"P{i};Pers;06 61 00 {i // 100:02d} {i % 100:02d};59043;non;01/02/2025"
        for i in range(PEOPLE)
    ]
    csv_text = "nom;prénom;téléphone;commune;vulnérable;date consentement\n" + "\n".join(rows)
    logs = [tmp_path / f"sender-{n}.log" for n in range(3)]
    instances = [_start(service_config, sandbox, log, delivery) for log in logs]
    if delivery == "asyncio":
        instances.append(_start(service_config, sandbox, tmp_path / "alerts.log", "rpc"))
    try:
        for log in logs if delivery == "inline" else [tmp_path / "alerts.log"]:
            _wait_until_serving(service_config, log)
        with ServiceRpcProxy("alerts", service_config, timeout=30) as alerts:
            encoded = base64.b64encode(csv_text.encode()).decode()
            report = alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})
            assert report["imported"] == PEOPLE
            request = {
                "title": "Test",
                "message": "Exercice : ceci est un test.",
                "severity": "information",
                "target": {"communes": ["59043"]},
                "channels": ["sms"],
            }
            campaign_id = alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
            alerts.send_campaign(tenant, DISPATCHER, campaign_id)
            deadline = time.monotonic() + 60
            while _accepted(_view(alerts, tenant, campaign_id)) < PEOPLE // 3:
                assert time.monotonic() < deadline, "sending did not start"
                time.sleep(0.05)

            os.kill(instances[0].pid, signal.SIGKILL)
            instances[0].wait(timeout=10)

            deadline = time.monotonic() + 120
            while (view := _view(alerts, tenant, campaign_id))["campaign"]["status"] != "sent":
                if time.monotonic() > deadline:
                    raise AssertionError(f"the campaign did not finish: {view['progress']}")
                time.sleep(0.3)
    finally:
        for process in instances:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    assert _accepted(view) == PEOPLE, view["progress"]
    stats = sandbox.get("/sandbox/stats")
    assert stats["phones_by_messages_received"] == {"1": PEOPLE}, stats
    assert stats["rate_limited"] == 0, f"the provider refused {stats['rate_limited']} for pace"
