"""A failed delivery is reported only by the driver whose round that day holds it (issue 9):
the reporter is recorded in the event and the escalation, and a second report of the same door
the same day opens no other escalation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.alerts.service import AlertsService
from services.common.dead_letter import event_handler
from services.routing.service import RoutingService

pytestmark = pytest.mark.service

DISPATCHER = {"username": "dispatcher-1", "role": "dispatcher"}
DRIVER_1 = {"username": "driver-1", "role": "driver"}
DRIVER_2 = {"username": "driver-2", "role": "driver"}
DAY = "2026-11-23"
ROUND = {
    "date": DAY,
    "kitchen": [51.2667, 4.7125],
    "deliveries": [
        {"id": "d-42", "location": [51.2983, 4.7331], "window_start": "11:00",
         "window_end": "12:30", "recipient_name": "Mme Lefebvre", "commune": "59350"},
        {"id": "d-43", "location": [51.2860, 4.8020], "window_start": "11:00",
         "window_end": "12:30", "recipient_name": "M. Dubois", "commune": "59009"},
    ],
    "vehicles": [
        {"id": "van-1", "capacity": 10, "shift_start": "10:30", "shift_end": "14:00",
         "driver": "driver-1"},
    ],
    "time_limit_s": 1,
}  # fmt: skip
failures: list[dict[str, Any]] = []


class FailureWatcher:
    name = "failure_watcher"

    @event_handler("routing", "delivery_failed")
    def handle_delivery_failed(self, body: dict[str, Any]) -> None:
        failures.append(body)


def _report(tenant: str, at: str = f"{DAY}T11:40:00+01:00", **extra: Any) -> dict[str, Any]:
    payload = {"delivery_id": "d-42", "commune": "59350", "recipient_name": "Mme Lefebvre",
               "reason": "no_answer", "attempted_at": at, **extra}  # fmt: skip
    return {"tenant": tenant, "payload": payload}


@pytest.fixture
def routing_config(service_config: dict[str, Any], kempen_drive_artefact: Path) -> dict[str, Any]:
    return {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}


def test_only_the_driver_of_the_round_reports_and_twice_the_same_day_opens_one_escalation(
    runner_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    failures.clear()
    runner = runner_factory(routing_config, RoutingService, AlertsService, FailureWatcher)
    runner.start()
    alerts = next(c for c in runner.containers if c.service_name == "alerts")

    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        routing.plan_meal_round(tenant, DISPATCHER, ROUND)
        refused = []
        for caller, report in (
            (DRIVER_2, _report(tenant)),  # not their round
            (DRIVER_1, _report(tenant, delivery_id="d-99")),  # on no round
            (DRIVER_1, _report(tenant, at="2026-11-24T11:40:00+01:00")),  # not that day's
            ({"username": "mayor-1", "role": "mayor", "communes": ["59350"]}, _report(tenant)),
        ):
            with pytest.raises(RemoteError) as error:
                routing.report_delivery_failed(report, caller)
            refused.append(error.value)
        with pytest.raises(RemoteError) as wrong_commune:
            routing.report_delivery_failed(_report(tenant, commune="59009"), DRIVER_1)
        with entrypoint_waiter(alerts, "handle_delivery_failed", timeout=20):
            first = routing.report_delivery_failed(_report(tenant), DRIVER_1)
        # The phone retries, then the driver rings again an hour later: no second escalation.
        retried = routing.report_delivery_failed(_report(tenant), DRIVER_1)
        later = routing.report_delivery_failed(
            _report(tenant, at=f"{DAY}T12:40:00+01:00"), DRIVER_1
        )
        status = routing.get_delivery(tenant, DISPATCHER, "d-42")

    assert [e.exc_type for e in refused] == ["NotFound"] * 4
    # The same answer whether the delivery is someone else's or nobody's: existence never leaks.
    assert str(refused[0]).replace("d-42", "X") == str(refused[1]).replace("d-99", "X")
    assert wrong_commune.value.exc_type == "InvalidMessage"
    assert "d-42 is in commune 59350, not 59009" in str(wrong_commune.value)
    assert first == {"delivery_id": "d-42", "status": "failed", "new": True}
    assert retried["new"] is False and later["new"] is False
    assert status["reported_by"] == "driver-1"
    with ServiceRpcProxy("alerts", routing_config) as alerts_rpc:
        escalations = alerts_rpc.list_escalations(tenant, DISPATCHER)
    assert len(escalations) == 1
    assert escalations[0]["subject_id"] == "d-42"
    assert escalations[0]["reported_by"] == "driver-1"
    assert "nobody answered the door" in escalations[0]["summary"]
    mine = [f for f in failures if f["tenant"] == tenant]
    assert len(mine) == 1 and mine[0]["payload"]["reported_by"] == "driver-1"


def test_a_dispatcher_reports_for_any_round_of_the_tenant(
    container_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    container_factory(RoutingService, routing_config).start()

    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        routing.plan_meal_round(tenant, DISPATCHER, ROUND)
        answer = routing.report_delivery_failed(
            _report(tenant, delivery_id="d-43", commune="59009", recipient_name="M. Dubois"),
            DISPATCHER,
        )

    assert answer["new"] is True
