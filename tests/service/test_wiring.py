"""The three services answer, and an event from routing reaches alerts exactly once.

(A failed delivery reported twice opens one escalation: `test_delivery_failure_service.py`.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from contracts.deliveries import DeliveryFailureReport
from services.alerts.service import AlertsService
from services.carpool.service import CarpoolService
from services.common.events import make_message
from services.routing.service import RoutingService
from tests.callers import DISPATCHER

pytestmark = pytest.mark.service


def _failure(delivery_id: str = "d-42") -> DeliveryFailureReport:
    return DeliveryFailureReport(
        delivery_id=delivery_id,
        commune="59350",
        recipient_name="Mme Lefebvre",
        reason="no_answer",
        attempted_at=datetime(2026, 11, 23, 11, 40, tzinfo=UTC),
    )


@pytest.mark.parametrize("service_cls", [RoutingService, CarpoolService, AlertsService])
def test_each_service_answers_ping_with_its_identity(
    container_factory: Any, service_config: dict[str, Any], service_cls: type
) -> None:
    container = container_factory(service_cls, service_config)
    container.start()

    with ServiceRpcProxy(service_cls.name, service_config) as proxy:
        answer = proxy.ping()

    assert answer["name"] == service_cls.name
    assert answer["redis"] == "ok"
    assert answer["uptime_s"] >= 0
    assert answer["version"]


def test_redelivered_event_changes_nothing(
    container_factory: Any, service_config: dict[str, Any], tenant: str
) -> None:
    from nameko.standalone.events import event_dispatcher

    from services.routing.store import failure_event

    container = container_factory(AlertsService, service_config)
    container.start()
    body = make_message(failure_event(_failure("d-7"), "driver-1"), tenant=tenant)
    dispatch = event_dispatcher(service_config)

    for _ in range(3):  # the broker delivering the very same event three times
        with entrypoint_waiter(container, "handle_delivery_failed", timeout=10):
            dispatch("routing", "delivery_failed", body)

    with ServiceRpcProxy("alerts", service_config) as alerts_rpc:
        assert len(alerts_rpc.list_escalations(tenant, DISPATCHER)) == 1


def test_bad_report_is_refused_with_the_reason(
    container_factory: Any, service_config: dict[str, Any], tenant: str
) -> None:
    container = container_factory(RoutingService, service_config)
    container.start()
    bad = {"tenant": tenant, "payload": {"delivery_id": "d-1", "reason": "asleep"}}

    with ServiceRpcProxy("routing", service_config) as routing, pytest.raises(RemoteError) as err:
        routing.report_delivery_failed(bad, {"username": "driver-1", "role": "driver"})

    assert err.value.exc_type == "InvalidMessage"
    assert "reason" in str(err.value) and "commune" in str(err.value)


def test_without_a_road_graph_routing_says_how_to_build_one(
    container_factory: Any, service_config: dict[str, Any], tmp_path: Any
) -> None:
    container = container_factory(
        RoutingService, {**service_config, "ROUTING_GRAPH": str(tmp_path)}
    )
    container.start()

    with ServiceRpcProxy("routing", service_config) as routing, pytest.raises(RemoteError) as err:
        routing.travel_matrix({"points": [[51.26, 4.71]]})

    assert err.value.exc_type == "Conflict"
    assert "bocage graph build --osm" in str(err.value)
