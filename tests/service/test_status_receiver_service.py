"""The provider's status callbacks through the status receiver (`python -m
services.alerts.status_receiver`), the alerts service behind it: the sandbox calls the receiver
back (not the gateway); SMS receipts are recorded by the receiver itself; a call that ends
without the person confirming is deferred to the service, which calls again, then lists her for a
human; a forged entry in the stream is set aside with its reason, never applied."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis
from nameko.standalone.rpc import ServiceRpcProxy
from twilio.request_validator import RequestValidator

from services.alerts.service import AlertsService
from services.alerts.status_batch import stream_key
from services.common.settings import deployment_of
from tests.sandbox_process import AUTH_TOKEN, REPO_ROOT, SandboxProcess, free_port
from tests.service.alerts_processes import LOUIS, MARIE, report_rows, send_flood_alert
from tests.waiting import wait_for

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    process = SandboxProcess(free_port()).start()  # it posts its status callbacks
    yield process
    process.stop()


@pytest.fixture
def receiver(service_config: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AMQP_URI": str(service_config["AMQP_URI"]),
           "REDIS_URL": str(service_config["REDIS_URL"]), "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "ALERTS_STATUS_BASE_URL": base, "ALERTS_RECEIVER_HOST": "127.0.0.1",
           "ALERTS_RECEIVER_PORT": str(port)}  # fmt: skip
    log = tmp_path / "receiver.log"
    with log.open("wb") as output:  # the child keeps its own copy
        process = subprocess.Popen(
            [sys.executable, "-m", "services.alerts.status_receiver"],
            cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for("the receiver's /health", lambda: _answers(f"{base}/health"), 30)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _post(base: str, query: dict[str, Any], params: dict[str, str]) -> httpx.Response:
    path = f"/webhooks/twilio/status?{urlencode(query)}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{base}{path}", params)
    return httpx.post(f"{base}{path}", data=params, headers={"X-Twilio-Signature": signature})


def test_receipts_recorded_by_the_receiver_and_an_unanswered_call_made_again_by_the_service(
    container_factory: Any,
    service_config: dict[str, Any],
    sandbox: SandboxProcess,
    receiver: str,
    tenant: str,
) -> None:
    sandbox.reset()
    config = {**service_config, "TWILIO_BASE_URL": sandbox.base_url,
              "ALERTS_PUBLIC_BASE_URL": "http://127.0.0.1:9",  # the gateway: none here
              "ALERTS_STATUS_BASE_URL": receiver, "ALERTS_MAX_CALLS": 2,
              "ALERTS_RECALL_AFTER_S": 0}  # fmt: skip
    container = container_factory(AlertsService, config)
    container.start()
    with ServiceRpcProxy("alerts", config) as alerts:
        campaign_id = send_flood_alert(alerts, tenant)

        ids = {"tenant": tenant, "campaign": campaign_id, "message": 1}
        client = redis.Redis.from_url(str(service_config["REDIS_URL"]), decode_responses=True)
        stream = stream_key(deployment_of(str(service_config["AMQP_URI"])))

        def delivered() -> dict[str, dict[str, str]] | None:
            rows = report_rows(alerts, tenant, campaign_id)
            return rows if rows.get(f"{LOUIS}:sms", {}).get("status") == "delivered" else None

        rows = wait_for("Louis's SMS delivered, as the sandbox told the receiver", delivered, 60)
        louis_sms = {**ids, "key": f"{rows[f'{LOUIS}:sms']['contact_id']}:{LOUIS}:sms"}
        late = _post(receiver, louis_sms, {"MessageStatus": "sent", "MessageSid": "SM1"})
        assert late.status_code == 204
        # A forged entry slipped into the stream (not through the receiver) is never applied.
        forged_url = f"{receiver}/webhooks/twilio/status?{urlencode(louis_sms)}"
        client.xadd(stream, {"url": forged_url, "params": '{"MessageStatus": "failed"}',
                             "signature": "Zm9yZ2Vk"})  # fmt: skip

        def marie_listed() -> dict[str, dict[str, str]] | None:
            rows = report_rows(alerts, tenant, campaign_id)
            return rows if rows.get(f"{MARIE}:voice", {}).get("status") == "needs_human" else None

        final = wait_for("Marie called twice, then listed for a human", marie_listed, 90)
        wait_for("the stream emptied", lambda: client.xlen(stream) == 0)
        final = report_rows(alerts, tenant, campaign_id)

    rejected = client.xrange(f"{stream}:rejected")
    client.close()
    assert final[f"{LOUIS}:sms"]["status"] == "delivered"  # "sent" came late, moved nothing
    assert final[f"{MARIE}:voice"]["calls"] == "2"
    assert len(sandbox.phone(MARIE)["calls"]) == 2
    assert [r[1]["reason"] for r in rejected] == [
        "the request is not signed by our provider account"
    ]
