"""Transactional SMS for other services (carpool): exactly once per idempotency key, through the
official twilio SDK against the project's Twilio sandbox; a claim left by a crash is settled by
asking the provider first."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.alerts.service import AlertsService
from services.common.settings import deployment_of
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess

pytestmark = pytest.mark.service
PHONE = "+33612340001"


@pytest.fixture
def alerts_config(service_config: dict[str, Any], sandbox: SandboxProcess) -> dict[str, Any]:
    sandbox.reset()
    return {
        **service_config,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url,
    }


def inbox(sandbox: SandboxProcess, phone: str = PHONE) -> list[str]:
    return [m["body"] for m in sandbox.phone(phone)["messages"]]


def sms(key: str, body: str = "Covoiturage confirmé demain 8 h 40.") -> dict[str, str]:
    return {"to": PHONE, "body": body, "idempotency_key": key}


def test_the_same_key_sent_six_times_at_once_leaves_once(
    runner_factory: Any, alerts_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    runner_factory(alerts_config, AlertsService).start()
    key = f"carpool-confirmed:{uuid.uuid4().hex}"

    def send(_: int) -> dict[str, Any]:
        with ServiceRpcProxy("alerts", alerts_config, timeout=30) as alerts:
            return dict(alerts.send_sms(tenant, sms(key)))

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send, range(6)))
    assert sum(r["new"] for r in results) == 1
    assert inbox(sandbox) == ["Covoiturage confirmé demain 8 h 40."]
    with ServiceRpcProxy("alerts", alerts_config, timeout=30) as alerts:
        later = alerts.send_sms(tenant, sms(key))
        assert later["status"] == "sent" and later["new"] is False
        with pytest.raises(RemoteError) as bad:
            alerts.send_sms(tenant, {**sms("k2"), "to": "not a number"})
    assert bad.value.exc_type == "InvalidMessage"
    assert len(inbox(sandbox)) == 1


def test_a_claim_left_by_a_crash_is_settled_by_asking_the_provider(
    runner_factory: Any, alerts_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    runner_factory(alerts_config, AlertsService).start()
    client = redis.Redis.from_url(str(alerts_config["REDIS_URL"]), decode_responses=True)
    deployment = deployment_of(str(alerts_config["AMQP_URI"]))
    body = f"Votre covoiturage {uuid.uuid4().hex[:6]} est annulé."
    with ServiceRpcProxy("alerts", alerts_config, timeout=30) as alerts:
        alerts.send_sms(tenant, sms("first", body))
        # A crash right after the provider accepted "crashed" (same text), before it was recorded.
        crashed = f"alerts:_:{deployment}:tx:{tenant}:crashed"
        client.hset(
            crashed,
            mapping={"status": "sending", "claimed_at": time.time() - 60, "to": PHONE,
                     "body": body},
        )  # fmt: skip
        settled = alerts.send_sms(tenant, sms("crashed", body))
        assert settled["status"] == "sent" and settled["sid"]
        assert inbox(sandbox).count(body) == 1  # found at the provider: not sent again
        # A crash before the provider got anything: sent now, once.
        never = f"alerts:_:{deployment}:tx:{tenant}:never"
        other = "Nouvelle proposition : départ 9 h 05."
        client.hset(
            never,
            mapping={"status": "sending", "claimed_at": time.time() - 60, "to": PHONE,
                     "body": other},
        )  # fmt: skip
        assert alerts.send_sms(tenant, sms("never", other))["status"] == "sent"
        assert alerts.send_sms(tenant, sms("never", other))["new"] is False
    assert inbox(sandbox).count(other) == 1
    client.close()
