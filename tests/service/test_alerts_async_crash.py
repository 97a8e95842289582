"""Two asyncio senders with no pace (the batched path: claim and begin in one round trip, answers
recorded together); one is killed with -9 while requests are on the wire and answers wait to be
recorded.

What a user notices: every phone gets the alert exactly once and the campaign ends `sent`; what
the dead sender had sent but not recorded is found at the provider, not sent again.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from tests.sandbox_process import SandboxProcess, free_port
from tests.service.alerts_processes import (
    accepted,
    kill_9_a_third_of_the_way,
    send_to_people,
    start_alerts,
    wait_until_serving,
)
from tests.service.nameko_process import stop

pytestmark = pytest.mark.service

PEOPLE = 600


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    # Odd numbers are answered late: requests are on the wire when the sender is killed.
    env = {
        "SANDBOX_CALLBACKS": "off",
        "SANDBOX_SLOW_ANSWER_NUMBERS": "*1,*3,*5,*7,*9",
        "SANDBOX_SLOW_ANSWER_S": "0.3",
    }
    process = SandboxProcess(free_port(), env=env).start()
    yield process
    process.stop()


def _start(
    config: dict[str, Any], sandbox: SandboxProcess, log: Path, command: list[str]
) -> subprocess.Popen[bytes]:
    return start_alerts(
        config, sandbox, log, command, ALERTS_LEASE_S="3", ALERTS_PROVIDER_TIMEOUT_S="2",
        ALERTS_SENDER_CONCURRENCY="6", ALERTS_DELIVERY="external",
    )  # fmt: skip


def test_a_kill_9_of_an_unpaced_asyncio_sender_sends_each_alert_once(
    service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str, tmp_path: Path
) -> None:
    rpc_log = tmp_path / "alerts.log"
    nameko = ["-m", "nameko", "run", "--config", "infra/nameko.yaml",
              "services.alerts.service:AlertsService"]  # fmt: skip
    processes = [_start(service_config, sandbox, rpc_log, nameko)]
    try:
        wait_until_serving(service_config, rpc_log)
        with ServiceRpcProxy("alerts", service_config, timeout=30) as alerts:
            campaign_id = send_to_people(alerts, tenant, PEOPLE, "06 62")
            senders = [
                _start(service_config, sandbox, tmp_path / f"sender-{n}.log",
                       ["-m", "services.alerts.async_sender"])
                for n in range(2)
            ]  # fmt: skip
            processes += senders
            view = kill_9_a_third_of_the_way(alerts, tenant, campaign_id, PEOPLE, senders[0])
    finally:
        stop(*processes)

    assert accepted(view) == PEOPLE, view["progress"]
    stats = sandbox.get("/sandbox/stats")
    assert stats["phones_by_messages_received"] == {"1": PEOPLE}, stats
