"""A senior erased in routing (RGPD) leaves the alerts service too: their welfare case keeps that
a door was not answered, when, and its steps, but neither their name nor their contacts' names
and numbers; the escalation keeps what happened, not whom; an open case stops calling."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from contracts.meals import SeniorErasedEvent
from services.alerts.service import AlertsService
from services.common.events import make_message
from tests.sandbox_process import SandboxProcess
from tests.service.welfare_support import CARON, DISPATCHER, SOPHIE, failed_event
from tests.waiting import wait_for

pytestmark = pytest.mark.service
CASE_ID = "welfare:d-42:2026-11-23"


def test_erasing_a_senior_erases_them_from_welfare_cases_and_escalations(
    container_factory: Any, service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    config = {**service_config, "TWILIO_BASE_URL": sandbox.base_url,
              "ALERTS_WELFARE_ACK_DELAY_S": 600}  # fmt: skip
    container_factory(AlertsService, config).start()
    dispatch = event_dispatcher(config)
    dispatch("routing", "delivery_failed", failed_event(tenant))
    with ServiceRpcProxy("alerts", config, timeout=30) as alerts:
        wait_for("Sophie's call", lambda: sandbox.phone(SOPHIE.phone)["calls"])
        erased = SeniorErasedEvent(senior_id="s-1", by="dispatcher", at=datetime.now(UTC))
        dispatch("routing", "senior_erased", make_message(erased, tenant=tenant))
        dispatch("routing", "senior_erased", make_message(erased, tenant=tenant))  # again
        case = wait_for(
            "the case without the senior",
            lambda: (
                (c := alerts.get_welfare_case(tenant, DISPATCHER, CASE_ID))["senior_id"] is None
                and c
            ),
        )
        escalations = alerts.list_escalations(tenant, DISPATCHER)
        open_cases = alerts.list_welfare_cases(tenant, DISPATCHER)

    kept = json.dumps(case) + json.dumps(escalations)
    for trace in ("Lefebvre", SOPHIE.name, SOPHIE.phone, CARON.name, CARON.phone, "s-1"):
        assert trace not in kept, trace
    assert case["delivery_id"] == "d-42" and case["status"] == "closed"
    assert case["history"][0]["kind"] == "opened"
    assert len(escalations) == 1 and "nobody answered the door" in escalations[0]["summary"]
    assert open_cases == []
    client = redis.Redis.from_url(config["REDIS_URL"], decode_responses=True)
    notices = list(client.scan_iter(f"alerts:{tenant}:notice:{CASE_ID}:*"))
    client.close()
    assert notices == [], "the calls' and texts' records (numbers, texts) are dropped"
