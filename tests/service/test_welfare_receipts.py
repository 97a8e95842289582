"""The provider's delivery receipts (status callbacks) of the welfare check and the family SMS,
on the real broker, Redis and Twilio sandbox: each contact's call and SMS ends in the case's
history as the provider reports it (remis, non remis with its error, pas de réponse, décroché),
once, however often the provider repeats a callback; a family SMS's receipt is kept with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from twilio.request_validator import RequestValidator

from contracts.meals_events import DeliveryCompleted, FamilyNotice
from services.alerts.service import AlertsService
from services.common.dead_letter import event_handler
from services.common.events import make_message
from tests.sandbox_process import AUTH_TOKEN, SandboxProcess, free_port
from tests.service.welfare_support import (
    CARON,
    DISPATCHER,
    SOPHIE,
    failed_event,
    webhook_forwarder,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.service
published: list[dict[str, Any]] = []


class ReceiptWatcher:
    """Routing, as far as this test goes: what alerts publishes of the families' SMS."""

    name = "receipt_watcher"

    @event_handler("alerts", "message_delivered")
    def handle_message_delivered(self, body: dict[str, Any]) -> None:
        published.append(body)


CASE_ID = "welfare:d-42:2026-11-23"
ANNE = FamilyNotice(username="anne", phone="+33612340009")


@pytest.fixture(scope="module")
def gateway_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    env = {
        "SANDBOX_GATHER_WAIT": "2",  # Michel answers and hangs up without pressing a key
        "SANDBOX_CALL_NO_ANSWER_NUMBERS": SOPHIE.phone,
        "SANDBOX_UNDELIVERED_NUMBERS": CARON.phone,
    }
    process = SandboxProcess(free_port(), env=env).start()
    yield process
    process.stop()


def _receipts(case: dict[str, Any]) -> list[str]:
    return [s["detail"] for s in case["history"] if s["kind"] == "delivery_receipt"]


def test_each_contacts_call_and_sms_end_in_the_case_history_as_the_provider_reports_them(
    container_factory: Any,
    service_config: dict[str, Any],
    sandbox: SandboxProcess,
    gateway_port: int,
    tenant: str,
) -> None:
    sandbox.reset()
    base = f"http://127.0.0.1:{gateway_port}"
    config = {
        **service_config,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_PUBLIC_BASE_URL": base,
        "ALERTS_WELFARE_ACK_DELAY_S": 3,
        "ALERTS_WELFARE_HELP_AFTER_S": 600,
    }
    wanted = {
        "SMS à Sophie Lefebvre : remis",
        "Appel à Sophie Lefebvre : pas de réponse",
        "SMS à Michel Caron : non remis (erreur 30003)",
    }
    family_sms = make_message(
        DeliveryCompleted(
            delivery_id="meal-20261123-s-2", senior_id="s-2", senior_first_name="Marie",
            round_id="r-1", day="2026-11-23", reported_by="driver-1", notify=(ANNE,),
            delivered_at=datetime.fromisoformat("2026-11-23T11:50:00+01:00"),
        ),
        tenant=tenant,
    )  # fmt: skip
    with webhook_forwarder(gateway_port, config):
        published.clear()
        container_factory(ReceiptWatcher, config).start()
        container_factory(AlertsService, config).start()
        dispatch = event_dispatcher(config)
        dispatch("routing", "delivery_failed", failed_event(tenant))
        dispatch("routing", "delivery_completed", family_sms)
        with ServiceRpcProxy("alerts", config, timeout=30) as alerts:

            def seen() -> dict[str, Any] | None:
                case = alerts.get_welfare_case(tenant, DISPATCHER, CASE_ID)
                details = _receipts(case)
                done = wanted <= set(details) and any(
                    d.startswith("Appel à Michel Caron : décroché") for d in details
                )
                return case if done else None

            case = wait_for("every receipt in the case's history", seen, timeout=60)
            # The provider repeats a callback (a timeout on its side): nothing is written twice.
            sms = next(m for m in sandbox.phone(CARON.phone)["messages"])
            url = f"{base}/webhooks/twilio/status?tenant={tenant}&notice={CASE_ID}:1:sms"
            params = {"MessageSid": sms["sid"], "MessageStatus": "undelivered",
                      "ErrorCode": "30003", "To": CARON.phone}  # fmt: skip
            signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
            again = alerts.twilio_webhook("status", url, params, signature)
            with pytest.raises(RemoteError) as forged:
                altered = {**params, "MessageStatus": "delivered"}
                alerts.twilio_webhook("status", url, altered, signature)
            after = alerts.get_welfare_case(tenant, DISPATCHER, CASE_ID)

    details = _receipts(case)
    assert len(details) == 4, details
    assert again == {"status": "undelivered"}
    assert forged.value.exc_type == "Forbidden"
    assert _receipts(after) == details
    # Each line says whose call or SMS, is stamped by the provider, and comes in time order.
    lines = [s for s in after["history"] if s["kind"] == "delivery_receipt"]
    assert {s["actor"] for s in lines} == {"provider"}
    assert {s["contact_index"] for s in lines if "Sophie" in s["detail"]} == {0}
    times = [s["at"] for s in after["history"]]
    assert times == sorted(times)
    # The family's SMS: its receipt is kept with it.
    client = redis.Redis.from_url(str(config["REDIS_URL"]), decode_responses=True)
    key = f"alerts:{tenant}:notice:family:meal-20261123-s-2:delivered:anne:receipts"
    receipts = wait_for("the family SMS's receipt", lambda: client.hgetall(key))
    client.close()
    assert "delivered" in receipts and "sent" in receipts
    delivered = json.loads(receipts["delivered"])
    assert delivered["sid"] and delivered["error"] is None
    assert datetime.fromisoformat(delivered["at"]) > datetime.now(UTC) - timedelta(minutes=5)
    # ... and routing hears of it once, to write it into the senior's history.
    wait_for("message_delivered", lambda: published)
    (event,) = [e["payload"] for e in published if e["tenant"] == tenant]
    assert event == {"delivery_id": "meal-20261123-s-2", "kind": "delivered", "username": "anne",
                     "status": "delivered", "error_code": None, "at": event["at"]}  # fmt: skip
