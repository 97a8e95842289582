"""The provider in trouble for a while, mid-campaign: first it answers 500, then it hangs without
sending, then it sends but its answers come too late. alerts retries with backoff, asks before
resending what may have left, and when the provider is well again every phone has the alert once.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.alerts.service import AlertsService
from tests.callers import DISPATCHER
from tests.sandbox_process import SandboxProcess

pytestmark = pytest.mark.service

PEOPLE = 120
RATE = 40  # SMS per second: three seconds of sending without the outage
WINDOW_S = 2  # each kind of trouble lasts this long
HOLD_S = 3  # a hung request, against the service's 1 s provider timeout


def _phone(i: int) -> str:
    return f"+3366100{i // 100:02d}{i % 100:02d}"


def _accepted(view: dict[str, Any]) -> int:
    return int(view["progress"][0]["by_status"].get("accepted", 0))


def test_a_provider_outage_mid_campaign_is_retried_and_everyone_gets_one_sms(
    container_factory: Any, service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    config = {
        **service_config,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_SMS_RATE": RATE,
        "ALERTS_PROVIDER_TIMEOUT_S": 1,
    }
    container = container_factory(AlertsService, config)
    container.start()
    rows = [
        f"P{i};Pers;06 61 00 {i // 100:02d} {i % 100:02d};59043;non;01/02/2025"
        for i in range(PEOPLE)
    ]
    csv_text = "nom;prénom;téléphone;commune;vulnérable;date consentement\n" + "\n".join(rows)
    request = {
        "title": "Crue",
        "message": "Crue de la Lys : montez à l'étage.",
        "severity": "warning",
        "target": {"communes": ["59043"]},
        "channels": ["sms"],
    }
    hits: dict[str, int] = {}
    with ServiceRpcProxy("alerts", config, timeout=30) as alerts:
        encoded = base64.b64encode(csv_text.encode()).decode()
        assert (
            alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})["imported"]
            == PEOPLE
        )
        campaign_id = alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
        alerts.send_campaign(tenant, DISPATCHER, campaign_id)

        def view() -> dict[str, Any]:
            return dict(alerts.get_campaign(tenant, DISPATCHER, campaign_id))

        deadline = time.monotonic() + 30
        while _accepted(view()) < PEOPLE // 6:
            assert time.monotonic() < deadline, "sending did not start"
            time.sleep(0.05)
        for mode in ("error", "timeout", "lost_answer"):
            before = sandbox.get("/sandbox/outage")["hits"]
            sandbox.post("/sandbox/outage", mode=mode, seconds=str(WINDOW_S), hold_s=str(HOLD_S))
            time.sleep(WINDOW_S)
            hits[mode] = sandbox.get("/sandbox/outage")["hits"] - before
        assert sandbox.get("/sandbox/outage")["mode"] == "off"

        deadline = time.monotonic() + 60
        final = view()
        while not all(p["done"] for p in final["progress"]):
            assert time.monotonic() < deadline, f"not finished: {final['progress']}"
            time.sleep(0.2)
            final = view()

    # The outage was met (every kind of trouble answered some requests) ...
    assert all(hits[mode] > 0 for mode in hits), hits
    # ... without a hot loop: retries wait, so the 500s stay within a few tries per recipient.
    assert hits["error"] <= 3 * PEOPLE, hits
    assert _accepted(final) == PEOPLE, final["progress"]
    counts = [len(sandbox.phone(_phone(i))["messages"]) for i in range(PEOPLE)]
    assert counts.count(1) == PEOPLE, (
        f"missing: {counts.count(0)}, twice or more: {sum(c > 1 for c in counts)}"
    )
