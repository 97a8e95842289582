"""Vulnerable people are called; without a confirmation they are called again, then listed for
a human. Status callbacks and keypresses arrive signed, as the gateway forwards them."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from twilio.request_validator import RequestValidator

from services.alerts.service import AlertsService
from tests.callers import DISPATCHER
from tests.sandbox_process import AUTH_TOKEN, SandboxProcess
from tests.service.alerts_processes import report_rows
from tests.waiting import wait_for

pytestmark = pytest.mark.service

BASE = "https://bocage.example"
SENIORS = """nom;prénom;téléphone;commune;vulnérable;date consentement
Deboudt;Marie;03 28 00 00 03;Bailleul;oui;01/02/2025
Verhaeghe;Louis;03 28 00 00 07;Bailleul;oui;01/02/2025
"""


@pytest.fixture
def voice_config(service_config: dict[str, Any], sandbox: SandboxProcess) -> dict[str, Any]:
    sandbox.reset()
    return {
        **service_config,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_PUBLIC_BASE_URL": BASE,
        "ALERTS_MAX_CALLS": 2,
        "ALERTS_RECALL_AFTER_S": 0,
    }


def _signed(alerts: Any, kind: str, query: dict[str, Any], params: dict[str, str]) -> Any:
    url = f"{BASE}/webhooks/twilio/{kind}?{urlencode(query)}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    return alerts.twilio_webhook(kind, url, params, signature)


def _state(alerts: Any, tenant: str, campaign_id: str, phone: str) -> dict[str, str]:
    return report_rows(alerts, tenant, campaign_id).get(f"{phone}:voice", {})


def test_unconfirmed_call_is_made_again_then_listed_for_a_human_and_a_keypress_confirms(
    container_factory: Any, voice_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    container = container_factory(AlertsService, voice_config)
    container.start()
    marie, louis = "+33328000003", "+33328000007"
    with ServiceRpcProxy("alerts", voice_config) as alerts:
        encoded = base64.b64encode(SENIORS.encode()).decode()
        alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})
        request = {"title": "Crue", "message": "Crue de la Lys.", "severity": "emergency",
                   "target": {"communes": ["59043"]}, "channels": ["sms", "voice"]}  # fmt: skip
        campaign_id = alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
        alerts.send_campaign(tenant, DISPATCHER, campaign_id)

        def both_called() -> list[dict[str, str]] | None:
            rows = [_state(alerts, tenant, campaign_id, p) for p in (marie, louis)]
            return rows if all(r.get("status") == "accepted" for r in rows) else None

        first_calls = wait_for("both calls", both_called)
        ids = {"tenant": tenant, "campaign": campaign_id, "message": 1}
        key = {row["phone"]: f"{row['contact_id']}:{row['phone']}:voice" for row in first_calls}

        # Louis presses 1 during the call: confirmed; the call then completes.
        confirmed = _signed(alerts, "gather", {**ids, "key": key[louis]}, {"Digits": "1"})
        _signed(alerts, "status", {**ids, "key": key[louis]}, {"CallStatus": "completed"})
        # Marie's call completes without a keypress: she is called again...
        _signed(alerts, "status", {**ids, "key": key[marie]}, {"CallStatus": "completed"})
        wait_for("the second call to Marie", lambda: len(sandbox.phone(marie)["calls"]) == 2)
        wait_for(
            "the recall to be accepted",
            lambda: _state(alerts, tenant, campaign_id, marie)["status"] == "accepted",
        )
        # ...and, still without a keypress after the last call, listed for a human.
        _signed(alerts, "status", {**ids, "key": key[marie]}, {"CallStatus": "no-answer"})
        marie_final = _state(alerts, tenant, campaign_id, marie)
        louis_final = _state(alerts, tenant, campaign_id, louis)

    assert "Merci" in confirmed["twiml"]
    assert louis_final["confirmed"] == "yes" and louis_final["status"] == "completed"
    assert len(sandbox.phone(louis)["calls"]) == 1
    assert marie_final["status"] == "needs_human" and marie_final["calls"] == "2"
    said = " ".join(sandbox.phone(marie)["calls"][0]["said"])
    assert "Crue de la Lys." in said and "Appuyez sur 1" in said
