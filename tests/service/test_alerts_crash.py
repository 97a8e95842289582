"""kill -9 the alerts service in the middle of a campaign, restart it: everyone gets one SMS."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from tests.callers import DISPATCHER
from tests.sandbox_process import SandboxProcess
from tests.service.alerts_processes import (
    accepted,
    campaign_view,
    send_to_people,
    start_alerts,
    wait_until_accepted,
    wait_until_serving,
)
from tests.service.nameko_process import stop

pytestmark = pytest.mark.service

PEOPLE = 300


def _start_alerts(
    config: dict[str, Any], sandbox: SandboxProcess, log: Path
) -> subprocess.Popen[bytes]:
    return start_alerts(config, sandbox, log, ALERTS_SMS_RATE="60")  # killed half-way


def test_kill_9_mid_campaign_loses_nothing_and_repeats_nothing(
    service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str, tmp_path: Path
) -> None:
    first = _start_alerts(service_config, sandbox, tmp_path / "alerts-1.log")
    second = None
    try:
        wait_until_serving(service_config, tmp_path / "alerts-1.log")
        with ServiceRpcProxy("alerts", service_config, timeout=30) as alerts:
            campaign_id = send_to_people(alerts, tenant, PEOPLE, "06 60")
            wait_until_accepted(alerts, tenant, campaign_id, PEOPLE // 3)

            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            sent_before_restart = sandbox.get("/sandbox/stats")
            second = _start_alerts(service_config, sandbox, tmp_path / "alerts-2.log")
            wait_until_serving(service_config, tmp_path / "alerts-2.log")

            deadline = time.monotonic() + 90
            while accepted(campaign_view(alerts, tenant, campaign_id)) < PEOPLE:
                if time.monotonic() > deadline:
                    view = alerts.get_campaign(tenant, DISPATCHER, campaign_id)
                    raise AssertionError(f"not all sent after the restart: {view['progress']}")
                time.sleep(0.2)
    finally:
        stop(first, second)

    assert sent_before_restart  # the sandbox answered throughout
    counts = [
        len(sandbox.phone(f"+3366000{i // 100:02d}{i % 100:02d}")["messages"])
        for i in range(PEOPLE)
    ]
    assert counts.count(1) == PEOPLE, (
        f"missing: {counts.count(0)}, twice or more: {sum(c > 1 for c in counts)}"
    )
