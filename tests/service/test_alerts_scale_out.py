"""Three delivery instances share one campaign; one is killed with -9 half-way. Run twice: three
nameko alerts services delivering inline, and one alerts service (RPC only) with three asyncio
sender processes (`services.alerts.async_sender`).

What a user notices: every phone gets the alert exactly once, the campaign ends `sent`, and the
provider never refuses a message for going over the account's rate: the three instances keep
one pace between them (one bucket in Redis), not one pace each.
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
    ASYNC_SENDER,
    NAMEKO_ALERTS,
    accepted,
    kill_9_a_third_of_the_way,
    send_to_people,
    start_alerts,
    wait_until_serving,
)
from tests.service.nameko_process import stop

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
    return start_alerts(
        config, sandbox, log, ASYNC_SENDER if part == "asyncio" else NAMEKO_ALERTS,
        ALERTS_SMS_RATE=str(OUR_RATE), ALERTS_LEASE_S="3",
        ALERTS_DELIVERY="inline" if part == "inline" else "external",
    )  # fmt: skip


@pytest.mark.parametrize("delivery", ["inline", "asyncio"])
def test_three_instances_and_a_kill_9_keep_the_pace_and_send_each_alert_once(
    service_config: dict[str, Any],
    sandbox: SandboxProcess,
    tenant: str,
    tmp_path: Path,
    delivery: str,
) -> None:
    logs = [tmp_path / f"sender-{n}.log" for n in range(3)]
    instances = [_start(service_config, sandbox, log, delivery) for log in logs]
    if delivery == "asyncio":
        instances.append(_start(service_config, sandbox, tmp_path / "alerts.log", "rpc"))
    try:
        for log in logs if delivery == "inline" else [tmp_path / "alerts.log"]:
            wait_until_serving(service_config, log)
        with ServiceRpcProxy("alerts", service_config, timeout=30) as alerts:
            campaign_id = send_to_people(alerts, tenant, PEOPLE, "06 61")
            view = kill_9_a_third_of_the_way(alerts, tenant, campaign_id, PEOPLE, instances[0])
    finally:
        stop(*instances)

    assert accepted(view) == PEOPLE, view["progress"]
    stats = sandbox.get("/sandbox/stats")
    assert stats["phones_by_messages_received"] == {"1": PEOPLE}, stats
    assert stats["rate_limited"] == 0, f"the provider refused {stats['rate_limited']} for pace"
