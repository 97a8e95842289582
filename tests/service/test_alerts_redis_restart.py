"""Redis (AOF everysec, as compose runs it) is killed with -9 mid-campaign and restarted: up to a
second of writes is lost. The engine reconciles with the provider and the campaign finishes:
every phone gets the alert exactly once, and nobody is left behind.

The Redis here is the test's own (a free port, a temporary directory): the shared one is never
restarted.
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
import redis
from nameko.standalone.rpc import ServiceRpcProxy

from tests.callers import DISPATCHER
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, REPO_ROOT, SandboxProcess, free_port

pytestmark = pytest.mark.service

PEOPLE = 300


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
             "--save", ""],
            stdout=open(self.directory / "redis.log", "ab"),  # noqa: SIM115 - the child's
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=self.port).ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError("redis-server did not start (is it installed?)") from None
                time.sleep(0.1)

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    process = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"}).start()
    yield process
    process.stop()


def _start_alerts(
    config: dict[str, Any], sandbox: SandboxProcess, redis_url: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AMQP_URI": config["AMQP_URI"],
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_SMS_RATE": "60",
        "ALERTS_LEASE_S": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", "infra/nameko.yaml",
         "services.alerts.service:AlertsService"],
        cwd=REPO_ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _progress(alerts: Any, tenant: str, campaign_id: str) -> dict[str, Any]:
    return dict(alerts.get_campaign(tenant, DISPATCHER, campaign_id))


def test_a_redis_restart_that_lost_writes_mid_campaign_still_sends_everyone_once(
    service_config: dict[str, Any],
    sandbox: SandboxProcess,
    own_redis: OwnRedis,
    tenant: str,
    tmp_path: Path,
) -> None:
    rows = [
        f"P{i};Pers;06 63 00 {i // 100:02d} {i % 100:02d};59043;non;01/02/2025"
        for i in range(PEOPLE)
    ]
    csv_text = "nom;prénom;téléphone;commune;vulnérable;date consentement\n" + "\n".join(rows)
    log = tmp_path / "alerts.log"
    alerts_process = _start_alerts(service_config, sandbox, own_redis.url, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with ServiceRpcProxy("alerts", service_config, timeout=5) as alerts:
                    alerts.ping()
                    break
            except Exception:
                if time.monotonic() > deadline:
                    tail = log.read_text()[-2000:]
                    raise AssertionError("alerts did not start: " + tail) from None
                time.sleep(0.3)
        with ServiceRpcProxy("alerts", service_config, timeout=30) as alerts:
            encoded = base64.b64encode(csv_text.encode()).decode()
            alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})
            request = {
                "title": "Test",
                "message": "Exercice : ceci est un test.",
                "severity": "information",
                "target": {"communes": ["59043"]},
                "channels": ["sms"],
            }
            campaign_id = alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
            alerts.send_campaign(tenant, DISPATCHER, campaign_id)
            while sandbox.get("/sandbox/stats")["messages"] < PEOPLE // 3:
                assert time.monotonic() < deadline + 60, "sending did not start"
                time.sleep(0.05)

            own_redis.kill9()  # the last second of writes is lost (AOF everysec)
            time.sleep(1)
            own_redis.start()

            deadline = time.monotonic() + 120
            while (view := _progress(alerts, tenant, campaign_id))["campaign"]["status"] != "sent":
                if time.monotonic() > deadline:
                    raise AssertionError(f"the campaign did not finish: {view['progress']}")
                time.sleep(0.3)
    finally:
        if alerts_process.poll() is None:
            alerts_process.terminate()
            alerts_process.wait(timeout=15)

    stats = sandbox.get("/sandbox/stats")
    assert stats["phones_by_messages_received"] == {"1": PEOPLE}, stats
    assert view["progress"][0]["by_status"].get("accepted", 0) == PEOPLE, view["progress"]
