"""kill -9 the alerts service in the middle of a campaign, restart it: everyone gets one SMS."""

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

PEOPLE = 300


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    process = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"}).start()
    yield process
    process.stop()


def _start_alerts(
    config: dict[str, Any], sandbox: SandboxProcess, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AMQP_URI": config["AMQP_URI"],
        "REDIS_URL": config["REDIS_URL"],
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_SMS_RATE": "60",  # slow enough to be killed half-way
    }
    return subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", "infra/nameko.yaml",
         "services.alerts.service:AlertsService"],
        cwd=REPO_ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_until_serving(config: dict[str, Any], log: Path) -> None:
    from nameko.exceptions import UnknownService

    deadline = time.monotonic() + 60
    while True:
        try:
            with ServiceRpcProxy("alerts", config, timeout=5) as alerts:
                alerts.ping()
                return
        except (UnknownService, Exception):
            if time.monotonic() > deadline:
                raise AssertionError("alerts did not start: " + log.read_text()[-2000:]) from None
            time.sleep(0.3)


def _accepted(alerts: Any, tenant: str, campaign_id: str) -> int:
    view = alerts.get_campaign(tenant, DISPATCHER, campaign_id)
    return int(view["progress"][0]["by_status"].get("accepted", 0))


def test_kill_9_mid_campaign_loses_nothing_and_repeats_nothing(
    service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str, tmp_path: Path
) -> None:
    rows = [
        f"P{i};Pers;06 60 00 {i // 100:02d} {i % 100:02d};59043;non;01/02/2025"
        for i in range(PEOPLE)
    ]
    csv_text = "nom;prénom;téléphone;commune;vulnérable;date consentement\n" + "\n".join(rows)
    first = _start_alerts(service_config, sandbox, tmp_path / "alerts-1.log")
    second = None
    try:
        _wait_until_serving(service_config, tmp_path / "alerts-1.log")
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
            while _accepted(alerts, tenant, campaign_id) < PEOPLE // 3:
                assert time.monotonic() < deadline, "sending did not start"
                time.sleep(0.05)

            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            sent_before_restart = sandbox.get("/sandbox/stats")
            second = _start_alerts(service_config, sandbox, tmp_path / "alerts-2.log")
            _wait_until_serving(service_config, tmp_path / "alerts-2.log")

            deadline = time.monotonic() + 90
            while _accepted(alerts, tenant, campaign_id) < PEOPLE:
                if time.monotonic() > deadline:
                    view = alerts.get_campaign(tenant, DISPATCHER, campaign_id)
                    raise AssertionError(f"not all sent after the restart: {view['progress']}")
                time.sleep(0.2)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    assert sent_before_restart  # the sandbox answered throughout
    counts = [
        len(sandbox.phone(f"+3366000{i // 100:02d}{i % 100:02d}")["messages"])
        for i in range(PEOPLE)
    ]
    assert counts.count(1) == PEOPLE, (
        f"missing: {counts.count(0)}, twice or more: {sum(c > 1 for c in counts)}"
    )
