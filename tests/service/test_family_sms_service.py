"""The family's SMS on the real broker, Redis and Twilio sandbox: "about 15 minutes away" once
the ETA comes close, "delivered at" once delivered; exactly once per delivery, kind and person,
whatever redeliveries and ETA jitter happen."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nameko.standalone.events import event_dispatcher

from contracts.meals_events import DeliveryCompleted, DeliveryEtaUpdated, FamilyNotice
from services.alerts.service import AlertsService
from services.common.events import make_message
from tests.sandbox_process import SandboxProcess
from tests.waiting import wait_for

pytestmark = pytest.mark.service

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)  # 11h30 in Paris
ANNE = FamilyNotice(username="anne", phone="+33612340011")
PAUL = FamilyNotice(username="paul", phone="+33612340012")


def _eta(
    tenant: str, minutes: float, computed_after_min: float = 0, **changes: Any
) -> dict[str, Any]:
    computed = NOW + timedelta(minutes=computed_after_min)
    event = DeliveryEtaUpdated(
        delivery_id="d-42", senior_id="s-1", senior_first_name="Marie", round_id="r-1",
        vehicle_id="van-1", day="2026-11-23", eta=computed + timedelta(minutes=minutes),
        stops_before=1, computed_at=computed, notify=(ANNE, PAUL),
    ).model_copy(update=changes)  # fmt: skip
    return make_message(event, tenant=tenant)


def _delivered(tenant: str, **changes: Any) -> dict[str, Any]:
    event = DeliveryCompleted(
        delivery_id="d-42", senior_id="s-1", senior_first_name="Marie", round_id="r-1",
        day="2026-11-23", delivered_at=NOW + timedelta(minutes=14), reported_by="driver-1",
        notify=(ANNE, PAUL),
    ).model_copy(update=changes)  # fmt: skip
    return make_message(event, tenant=tenant)


def test_each_family_member_gets_each_sms_once_through_redeliveries_and_jitter(
    container_factory: Any, service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    config = {**service_config, "TWILIO_BASE_URL": sandbox.base_url}
    container_factory(AlertsService, config).start()
    dispatch = event_dispatcher(config)

    dispatch("routing", "delivery_eta_updated", _eta(tenant, 40))  # far: nothing yet
    near = _eta(tenant, 13, computed_after_min=1)
    dispatch("routing", "delivery_eta_updated", near)
    dispatch("routing", "delivery_eta_updated", near)  # a redelivery, handled side by side
    wait_for(
        "the approaching SMS", lambda: all(sandbox.phone(p.phone)["messages"] for p in (ANNE, PAUL))
    )
    # Minutes later the ETA jitters across the threshold and back: nothing more to say. (Sent
    # together these would race, and whichever near ETA came first would rightly be the one told.)
    for event in (_eta(tenant, 17, 2), _eta(tenant, 11, 3), _eta(tenant, 14, 4)):
        dispatch("routing", "delivery_eta_updated", event)
    # The van arrives a quarter of an hour later (the two events travel on separate queues).
    done = _delivered(tenant)
    dispatch("routing", "delivery_completed", done)
    dispatch("routing", "delivery_completed", done)

    def both_told() -> bool:
        return all(len(sandbox.phone(p.phone)["messages"]) >= 2 for p in (ANNE, PAUL))

    wait_for("both SMS to both people", both_told)
    wait_for("a quiet second", lambda: _quiet(sandbox), timeout=10)

    for person in (ANNE, PAUL):
        bodies = [m["body"] for m in sandbox.phone(person.phone)["messages"]]
        assert sorted(bodies) == [
            "Bocage : le repas de Marie a été livré à 11h44.",
            "Bocage : le repas de Marie arrive dans environ 15 min (vers 11h44).",
        ]


def test_an_eta_that_arrives_after_the_handover_says_nothing(
    container_factory: Any, service_config: dict[str, Any], sandbox: SandboxProcess, tenant: str
) -> None:
    config = {**service_config, "TWILIO_BASE_URL": sandbox.base_url}
    container_factory(AlertsService, config).start()
    dispatch = event_dispatcher(config)
    louise = FamilyNotice(username="louise", phone="+33612340013")

    dispatch("routing", "delivery_completed", _delivered(tenant, notify=(louise,)))
    wait_for("the delivered SMS", lambda: sandbox.phone(louise.phone)["messages"])
    dispatch("routing", "delivery_eta_updated", _eta(tenant, 10, notify=(louise,)))
    wait_for("a quiet second", lambda: _quiet(sandbox), timeout=10)

    bodies = [m["body"] for m in sandbox.phone(louise.phone)["messages"]]
    assert bodies == ["Bocage : le repas de Marie a été livré à 11h44."]


def _quiet(sandbox: SandboxProcess) -> bool:
    before = sandbox.get("/sandbox/stats")
    time.sleep(2)
    return bool(before == sandbox.get("/sandbox/stats"))
