"""Redis (AOF everysec, as compose runs it) is killed with -9 mid-campaign and restarted: up to a
second of writes is lost. The engine reconciles with the provider and the campaign finishes:
every phone gets the alert exactly once, and nobody is left behind.

The Redis here is the test's own (a free port, a temporary directory): the shared one is never
restarted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from nameko.standalone.rpc import ServiceRpcProxy

from tests.sandbox_process import SandboxProcess, free_port
from tests.service.alerts_processes import (
    send_to_people,
    start_alerts,
    wait_until_sent,
    wait_until_serving,
)
from tests.service.nameko_process import stop

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
        with open(self.directory / "redis.log", "ab") as output:  # the child keeps a copy
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                 str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
                 "--save", ""],
                stdout=output, stderr=subprocess.STDOUT,
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


def _start_alerts(
    config: dict[str, Any], sandbox: SandboxProcess, redis_url: str, log: Path
) -> subprocess.Popen[bytes]:
    return start_alerts(
        config, sandbox, log, REDIS_URL=redis_url, ALERTS_SMS_RATE="60", ALERTS_LEASE_S="3"
    )


def test_a_redis_restart_that_lost_writes_mid_campaign_still_sends_everyone_once(
    service_config: dict[str, Any],
    sandbox: SandboxProcess,
    own_redis: OwnRedis,
    tenant: str,
    tmp_path: Path,
) -> None:
    log = tmp_path / "alerts.log"
    alerts_process = _start_alerts(service_config, sandbox, own_redis.url, log)
    try:
        wait_until_serving(service_config, log)
        with ServiceRpcProxy("alerts", service_config, timeout=30) as alerts:
            campaign_id = send_to_people(alerts, tenant, PEOPLE, "06 63")
            deadline = time.monotonic() + 60
            while sandbox.get("/sandbox/stats")["messages"] < PEOPLE // 3:
                assert time.monotonic() < deadline, "sending did not start"
                time.sleep(0.05)

            own_redis.kill9()  # the last second of writes is lost (AOF everysec)
            time.sleep(1)
            own_redis.start()

            view = wait_until_sent(alerts, tenant, campaign_id)
    finally:
        stop(alerts_process)

    stats = sandbox.get("/sandbox/stats")
    assert stats["phones_by_messages_received"] == {"1": PEOPLE}, stats
    assert view["progress"][0]["by_status"].get("accepted", 0) == PEOPLE, view["progress"]
