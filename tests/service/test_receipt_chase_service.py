"""Every status callback lost (the status receiver down the whole time): the alerts service
asks the provider itself once the receipts are overdue, and the mayor's report still ends right:
the SMS delivered, and the vulnerable resident on a landline called, called again, then listed
for a human, exactly as the callbacks would have made it. A family's "delivered" SMS whose
receipt was lost still reaches the senior's history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from contracts.meals_events import DeliveryCompleted, FamilyNotice
from services.alerts.service import AlertsService
from services.common.dead_letter import event_handler
from services.common.events import make_message
from tests.sandbox_process import SandboxProcess, free_port
from tests.service.alerts_processes import LOUIS, MARIE, report_rows, send_flood_alert
from tests.waiting import wait_for

pytestmark = pytest.mark.service
published: list[dict[str, Any]] = []
ANNE = FamilyNotice(username="anne", phone="+33612340021")


class ReceiptWatcher:
    """Routing, as far as this test goes: what alerts publishes of the families' SMS."""

    name = "receipt_watcher"

    @event_handler("alerts", "message_delivered")
    def handle_message_delivered(self, body: dict[str, Any]) -> None:
        published.append(body)


def _lost_callbacks(service_config: dict[str, Any], sandbox: SandboxProcess) -> dict[str, Any]:
    """The service's config with its status callbacks going nowhere, overdue after a second."""
    nobody = f"http://127.0.0.1:{free_port()}"  # the receiver, down
    return {**service_config, "TWILIO_BASE_URL": sandbox.base_url,
            "ALERTS_PUBLIC_BASE_URL": nobody, "ALERTS_STATUS_BASE_URL": nobody,
            "ALERTS_RECEIPT_CHASE_AFTER_S": 1}  # fmt: skip


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    # It posts callbacks (nobody takes them); nobody presses 1, and a call gives up after 3 s.
    process = SandboxProcess(free_port(), env={"SANDBOX_GATHER_WAIT": "3"}).start()
    yield process
    process.stop()


def test_with_every_status_callback_lost_the_report_still_ends_right(
    container_factory: Any, service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    sandbox.reset()
    config = _lost_callbacks(service_config, sandbox)
    config |= {"ALERTS_MAX_CALLS": 2, "ALERTS_RECALL_AFTER_S": 0}
    container_factory(AlertsService, config).start()
    with ServiceRpcProxy("alerts", config) as alerts:
        campaign_id = send_flood_alert(alerts, tenant)

        def settled() -> dict[str, dict[str, str]] | None:
            rows = report_rows(alerts, tenant, campaign_id)
            louis = rows.get(f"{LOUIS}:sms", {}).get("status")
            marie = rows.get(f"{MARIE}:voice", {}).get("status")
            return rows if (louis, marie) == ("delivered", "needs_human") else None

        rows = wait_for(
            "Louis's SMS delivered and Marie listed, asked of the provider", settled, 90
        )

    assert rows[f"{MARIE}:voice"]["calls"] == "2"
    assert len(sandbox.phone(MARIE)["calls"]) == 2
    assert len(sandbox.phone(LOUIS)["messages"]) == 1


def test_a_family_sms_whose_receipt_was_lost_still_reaches_the_seniors_history(
    container_factory: Any, service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    sandbox.reset()
    config = _lost_callbacks(service_config, sandbox)
    published.clear()
    container_factory(ReceiptWatcher, config).start()
    container_factory(AlertsService, config).start()
    delivered = DeliveryCompleted(
        delivery_id="meal-20261130-s-7", senior_id="s-7", senior_first_name="Marie",
        round_id="r-1", day="2026-11-30", reported_by="driver-1", notify=(ANNE,),
        delivered_at=datetime.fromisoformat("2026-11-30T11:50:00+01:00"),
    )  # fmt: skip
    event_dispatcher(config)(
        "routing", "delivery_completed", make_message(delivered, tenant=tenant)
    )

    wait_for("message_delivered, asked of the provider", lambda: published, timeout=60)

    (event,) = [e["payload"] for e in published if e["tenant"] == tenant]
    assert (event["delivery_id"], event["username"], event["status"]) == (
        "meal-20261130-s-7", "anne", "delivered",
    )  # fmt: skip
    assert len(sandbox.phone(ANNE.phone)["messages"]) == 1
