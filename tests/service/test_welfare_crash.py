"""kill -9 the alerts service half-way through a welfare case, start it again: the escalation
clock lives in Redis, so the next contact is still called, and only once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from tests.sandbox_process import SandboxProcess
from tests.service.alerts_processes import start_alerts
from tests.service.nameko_process import stop
from tests.service.welfare_support import CARON, DISPATCHER, SOPHIE, failed_event
from tests.waiting import wait_for

pytestmark = pytest.mark.service

ACK_DELAY_S = 6


def _start_alerts(
    config: dict[str, Any], sandbox: SandboxProcess, log: Path
) -> subprocess.Popen[bytes]:
    return start_alerts(
        config, sandbox, log,
        ALERTS_WELFARE_ACK_DELAY_S=str(ACK_DELAY_S), ALERTS_WELFARE_HELP_AFTER_S="600",
    )  # fmt: skip


def _serving(config: dict[str, Any], log: Path) -> None:
    def pings() -> bool:
        try:
            with ServiceRpcProxy("alerts", config, timeout=5) as alerts:
                alerts.ping()
                return True
        except Exception:
            return False

    try:
        wait_for("alerts to serve", pings, timeout=60)
    except AssertionError:
        raise AssertionError("alerts did not start: " + log.read_text()[-2000:]) from None


def test_killed_mid_case_the_next_contact_is_still_called_once(
    service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str, tmp_path: Path
) -> None:
    first = _start_alerts(service_config, sandbox, tmp_path / "alerts-1.log")
    second = None
    try:
        _serving(service_config, tmp_path / "alerts-1.log")
        event_dispatcher(service_config)("routing", "delivery_failed", failed_event(tenant))
        wait_for("Sophie's call", lambda: sandbox.phone(SOPHIE.phone)["calls"])
        killed_at = time.monotonic()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert sandbox.phone(CARON.phone)["calls"] == []  # not yet her turn when it died

        second = _start_alerts(service_config, sandbox, tmp_path / "alerts-2.log")
        _serving(service_config, tmp_path / "alerts-2.log")
        wait_for("Michel's call", lambda: sandbox.phone(CARON.phone)["calls"], timeout=60)
        # Let the restarted clock tick past the turn a few more times: nobody is called again.
        time.sleep(max(0.0, killed_at + ACK_DELAY_S + 4 - time.monotonic()))
        with ServiceRpcProxy("alerts", service_config, timeout=30) as alerts:
            case = alerts.get_welfare_case(tenant, DISPATCHER, "welfare:d-42:2026-11-23")
    finally:
        stop(first, second)

    sophie, caron = sandbox.phone(SOPHIE.phone), sandbox.phone(CARON.phone)
    assert (len(sophie["calls"]), len(sophie["messages"])) == (1, 1)
    assert (len(caron["calls"]), len(caron["messages"])) == (1, 1)
    assert case["current_contact"] == 1 and case["status"] == "calling"
    kinds = [s["kind"] for s in case["history"]]
    assert kinds == ["opened", "contact_called", "contact_texted", "no_acknowledgement",
                     "contact_called", "contact_texted"]  # fmt: skip
