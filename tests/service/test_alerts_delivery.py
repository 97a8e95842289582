"""Campaigns through the alerts service, the real twilio SDK and our Twilio sandbox."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from twilio.request_validator import RequestValidator

from services.alerts.service import AlertsService
from tests.callers import DISPATCHER, MAYOR_BAILLEUL
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port
from tests.twilio_openapi import load_spec, problems_with
from tests.waiting import wait_for

pytestmark = pytest.mark.service

COMMUNES = {"59043": "Bailleul", "59588": "Steenvoorde"}
CONTACTS_CSV = """nom;prénom;téléphone;commune;vulnérable;date consentement
Lefèvre;Hélène;06 10 00 00 01;Bailleul;non;01/02/2025
Vanhove;Jérôme;06 10 00 00 02;Bailleul;non;01/02/2025
Deboudt;Marie;03 28 00 00 03;Bailleul;oui;01/02/2025
Caron;Paul;06 10 00 00 04;Bailleul;non;01/02/2025
Dumont;Léa;06 10 00 00 05;Steenvoorde;non;01/02/2025
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    # +33610000004 is a landline for the provider although numbering plans say mobile: 21614.
    process = SandboxProcess(
        free_port(), env={"SANDBOX_LANDLINE_NUMBERS": "+33610000004", "SANDBOX_CALLBACKS": "off"}
    ).start()
    yield process
    process.stop()


@pytest.fixture
def alerts_config(service_config: dict[str, Any], sandbox: SandboxProcess) -> dict[str, Any]:
    sandbox.reset()
    return {
        **service_config,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_PUBLIC_BASE_URL": "http://127.0.0.1:9/unused",
    }


def _import(alerts: Any, tenant: str, text: str = CONTACTS_CSV) -> dict[str, Any]:
    encoded = base64.b64encode(text.encode()).decode()
    return dict(alerts.import_contacts(tenant, DISPATCHER, encoded, COMMUNES))


def _request(message: str = "Crue de la Lys : montez à l'étage.") -> dict[str, Any]:
    return {
        "title": "Crue",
        "message": message,
        "severity": "warning",
        "target": {"communes": ["59043"]},
        "channels": ["sms", "voice"],
    }


def _done(alerts: Any, tenant: str, campaign_id: str) -> dict[str, Any] | None:
    view = alerts.get_campaign(tenant, DISPATCHER, campaign_id)
    return view if all(p["done"] for p in view["progress"]) else None


def test_campaign_reaches_each_person_once_by_the_right_channel(
    container_factory: Any, alerts_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    container = container_factory(AlertsService, alerts_config)
    container.start()

    with ServiceRpcProxy("alerts", alerts_config) as alerts:
        report = _import(alerts, tenant)
        assert report["imported"] == 5
        draft = alerts.create_campaign(tenant, MAYOR_BAILLEUL, _request())
        preview = alerts.preview_campaign(tenant, MAYOR_BAILLEUL, _request())
        assert preview["recipients"] == {"sms": 3, "voice": 1}
        alerts.send_campaign(tenant, MAYOR_BAILLEUL, draft["campaign_id"])
        view = wait_for(
            "the campaign to finish", lambda: _done(alerts, tenant, draft["campaign_id"])
        )
        report_csv = alerts.campaign_report(tenant, DISPATCHER, draft["campaign_id"])

    for mobile in ("+33610000001", "+33610000002"):
        inbox = sandbox.phone(mobile)
        assert [m["body"] for m in inbox["messages"]] == ["Crue de la Lys : montez à l'étage."]
    # The vulnerable senior on a landline is called, not texted.
    landline = sandbox.phone("+33328000003")
    assert landline["messages"] == [] and len(landline["calls"]) == 1
    # The provider refused an SMS to a landline (21614): the person is called instead, once.
    refused = sandbox.phone("+33610000004")
    assert refused["messages"] == [] and len(refused["calls"]) == 1
    # Steenvoorde was not targeted.
    assert sandbox.phone("+33610000005")["messages"] == []
    statuses = view["progress"][0]["by_status"]
    assert statuses.get("accepted") == 4 and statuses.get("failed") == 1
    assert "Hélène Lefèvre" in report_csv and "21614" in report_csv


def test_sending_twice_sends_once(
    container_factory: Any, alerts_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    container = container_factory(AlertsService, alerts_config)
    container.start()
    with ServiceRpcProxy("alerts", alerts_config) as alerts:
        _import(alerts, tenant)
        draft = alerts.create_campaign(tenant, DISPATCHER, _request("Test"))
        alerts.send_campaign(tenant, DISPATCHER, draft["campaign_id"])
        alerts.send_campaign(tenant, DISPATCHER, draft["campaign_id"])
        wait_for("the campaign to finish", lambda: _done(alerts, tenant, draft["campaign_id"]))

    assert len(sandbox.phone("+33610000001")["messages"]) == 1


def test_a_mayor_cannot_target_another_commune(
    container_factory: Any, alerts_config: dict[str, Any], tenant: str
) -> None:
    container = container_factory(AlertsService, alerts_config)
    container.start()
    request = {**_request(), "target": {"communes": ["59588"]}}
    with ServiceRpcProxy("alerts", alerts_config) as alerts, pytest.raises(RemoteError) as err:
        alerts.create_campaign(tenant, MAYOR_BAILLEUL, request)
    assert err.value.exc_type == "Forbidden"
    assert "59588" in str(err.value)


def test_opted_out_number_gets_nothing_and_stop_reply_is_honoured(
    container_factory: Any, alerts_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    container = container_factory(AlertsService, alerts_config)
    container.start()
    url = "https://bocage.example/webhooks/twilio/inbound"
    params = {
        "From": "+33610000002",
        "To": "+33757000001",
        "Body": "Arrêt",
        "AccountSid": ACCOUNT_SID,
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)

    with ServiceRpcProxy("alerts", alerts_config) as alerts:
        _import(alerts, tenant)
        assert alerts.twilio_webhook("inbound", url, params, signature)["intent"] == "stop"
        alerts.set_opt_out(tenant, DISPATCHER, "06 10 00 00 01", True)
        draft = alerts.create_campaign(tenant, DISPATCHER, _request("Test"))
        alerts.send_campaign(tenant, DISPATCHER, draft["campaign_id"])
        wait_for("the campaign to finish", lambda: _done(alerts, tenant, draft["campaign_id"]))

        # START brings the person back (the global list is shared by every tenant: clean it).
        start = {**params, "Body": "START"}
        start_signature = RequestValidator(AUTH_TOKEN).compute_signature(url, start)
        assert alerts.twilio_webhook("inbound", url, start, start_signature)["intent"] == "start"
        again = alerts.preview_campaign(tenant, DISPATCHER, _request("Test"))

    assert sandbox.phone("+33610000001")["messages"] == []
    assert sandbox.phone("+33610000002")["messages"] == []
    assert again["recipients"]["sms"] == 2  # 02 and 04 again; 01 stays out (mairie list)


def test_a_forged_webhook_is_refused(container_factory: Any, alerts_config: dict[str, Any]) -> None:
    container = container_factory(AlertsService, alerts_config)
    container.start()
    url = "https://bocage.example/webhooks/twilio/inbound"
    params = {"From": "+33610000002", "Body": "STOP"}
    forged = RequestValidator("not-our-token").compute_signature(url, params)

    with ServiceRpcProxy("alerts", alerts_config) as alerts, pytest.raises(RemoteError) as err:
        alerts.twilio_webhook("inbound", url, params, forged)
    assert err.value.exc_type == "Forbidden"


def test_every_request_the_alerts_service_sends_is_one_twilio_accepts(
    container_factory: Any, alerts_config: dict[str, Any], sandbox: SandboxProcess, tenant: str,
    shared_data: Path,
) -> None:  # fmt: skip
    container = container_factory(AlertsService, alerts_config)
    container.start()
    with ServiceRpcProxy("alerts", alerts_config) as alerts:
        _import(alerts, tenant)
        draft = alerts.create_campaign(tenant, DISPATCHER, _request("Crue : montez à l'étage."))
        alerts.send_campaign(tenant, DISPATCHER, draft["campaign_id"])
        wait_for("the campaign to finish", lambda: _done(alerts, tenant, draft["campaign_id"]))

    recorded = sandbox.get("/sandbox/requests")
    kinds = {(r["method"], r["path"].rsplit("/", 1)[-1]) for r in recorded}
    assert {("POST", "Messages.json"), ("POST", "Calls.json")} <= kinds
    assert problems_with(recorded, load_spec(shared_data)) == []


@pytest.fixture(scope="module")
def sandbox_answering_late() -> Iterator[SandboxProcess]:
    # The provider takes SMS to +33610000002 but answers after our timeout.
    process = SandboxProcess(
        free_port(),
        env={
            "SANDBOX_SLOW_ANSWER_NUMBERS": "+33610000002",
            "SANDBOX_SLOW_ANSWER_S": "3",
            "SANDBOX_CALLBACKS": "off",
        },
    ).start()
    yield process
    process.stop()


def test_an_answer_lost_after_sending_does_not_send_twice(
    container_factory: Any,
    service_config: dict[str, Any],
    sandbox_answering_late: SandboxProcess,
    tenant: str,
) -> None:
    config = {
        **service_config,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox_answering_late.base_url,
        "ALERTS_PROVIDER_TIMEOUT_S": 1,
    }
    container = container_factory(AlertsService, config)
    container.start()
    request = {**_request(), "channels": ["sms"]}

    with ServiceRpcProxy("alerts", config) as alerts:
        _import(alerts, tenant)
        draft = alerts.create_campaign(tenant, MAYOR_BAILLEUL, request)
        alerts.send_campaign(tenant, MAYOR_BAILLEUL, draft["campaign_id"])
        view = wait_for(
            "the campaign to finish", lambda: _done(alerts, tenant, draft["campaign_id"])
        )

    # Our request timed out, yet the provider had taken the message: asked before a second
    # attempt, it says so, and the person gets the alert once.
    late = sandbox_answering_late.phone("+33610000002")
    assert [m["body"] for m in late["messages"]] == [request["message"]]
    assert [m["body"] for m in sandbox_answering_late.phone("+33610000001")["messages"]] == [
        request["message"]
    ]
    assert view["progress"][0]["by_status"].get("accepted") == 3
