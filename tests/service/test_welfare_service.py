"""The welfare check on the real broker, Redis and Twilio sandbox: nobody at the door, the first
contact does not pick up, the second presses 1 and the outcome is recorded; the history says it
all, in order; redeliveries and a second report open no second case and call nobody twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from services.alerts.service import AlertsService
from services.common.dead_letter import event_handler
from tests.sandbox_process import SandboxProcess, free_port
from tests.service.welfare_support import (
    CARON,
    DISPATCHER,
    SOPHIE,
    failed_event,
    webhook_forwarder,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.service
published: list[tuple[str, dict[str, Any]]] = []


class WelfareWatcher:
    """Another service listening to what alerts publishes."""

    name = "welfare_watcher"

    @event_handler("alerts", "welfare_check_opened")
    def handle_welfare_check_opened(self, body: dict[str, Any]) -> None:
        published.append(("opened", body))

    @event_handler("alerts", "welfare_check_closed")
    def handle_welfare_check_closed(self, body: dict[str, Any]) -> None:
        published.append(("closed", body))

    @event_handler("alerts", "welfare_check_updated")
    def handle_welfare_check_updated(self, body: dict[str, Any]) -> None:
        published.append(("updated", body))


CASE_ID = "welfare:d-42:2026-11-23"
OTHER_MAYOR = {"username": "maire-2", "role": "mayor", "communes": ["59009"]}
MAYOR = {"username": "maire-1", "role": "mayor", "communes": ["59350"]}
FAMILY = {"username": "anne", "role": "family"}


@pytest.fixture(scope="module")
def gateway_port() -> int:
    """Where the stand-in for the gateway's webhook route listens."""
    return free_port()


@pytest.fixture(scope="module")
def sandbox(gateway_port: int) -> Iterator[SandboxProcess]:
    inbound = f"http://127.0.0.1:{gateway_port}/webhooks/twilio/inbound"
    env = {"SANDBOX_CALLBACKS": "off", "SANDBOX_GATHER_WAIT": "60",
           "SANDBOX_INBOUND_WEBHOOK": inbound}  # fmt: skip
    process = SandboxProcess(free_port(), env=env).start()
    yield process
    process.stop()


@pytest.fixture
def welfare_config(service_config: dict[str, Any], sandbox: SandboxProcess) -> dict[str, Any]:
    sandbox.reset()
    return {
        **service_config,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_WELFARE_ACK_DELAY_S": 4,
        "ALERTS_WELFARE_HELP_AFTER_S": 600,
    }


def test_first_contact_silent_second_presses_1_outcome_recorded_history_complete(
    container_factory: Any,
    welfare_config: dict[str, Any],
    sandbox: SandboxProcess,
    gateway_port: int,
    tenant: str,
) -> None:
    port = gateway_port
    config = {**welfare_config, "ALERTS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    with webhook_forwarder(port, config):
        published.clear()
        container_factory(WelfareWatcher, config).start()
        container_factory(AlertsService, config).start()
        dispatch = event_dispatcher(config)
        dispatch("routing", "delivery_failed", failed_event(tenant))
        dispatch("routing", "delivery_failed", failed_event(tenant))  # redelivered
        dispatch("routing", "delivery_failed", failed_event(tenant, "2026-11-23T12:40:00+01:00"))

        with ServiceRpcProxy("alerts", config, timeout=30) as alerts:
            first = wait_for("Sophie's call", lambda: sandbox.phone(SOPHIE.phone)["calls"])
            second = wait_for("Michel's call", lambda: sandbox.phone(CARON.phone)["calls"])
            pressed = sandbox.post(f"/sandbox/calls/{second[0]['sid']}/digits", Digits="1")
            taken = alerts.get_welfare_case(tenant, DISPATCHER, CASE_ID)
            # Michel texts back "1" (hospitalisé), as the SMS he just got tells him to.
            wait_for(
                "the reply instructions", lambda: len(sandbox.phone(CARON.phone)["messages"]) == 2
            )
            sandbox.post(f"/sandbox/phones/{CARON.phone}/send", Body="1")
            outcome = wait_for(
                "the outcome",
                lambda: (
                    (c := alerts.get_welfare_case(tenant, DISPATCHER, CASE_ID))["outcome"] and c
                ),
            )
            closed = alerts.close_welfare_case(tenant, DISPATCHER, CASE_ID, {"note": ""})
            listed_open = alerts.list_welfare_cases(tenant, DISPATCHER)
            mayor_view = alerts.get_welfare_case(tenant, MAYOR, CASE_ID)
            refused = []
            for caller in (OTHER_MAYOR, FAMILY):
                with pytest.raises(Exception) as error:
                    alerts.get_welfare_case(tenant, caller, CASE_ID)
                refused.append(error.value)
            with pytest.raises(Exception) as missing:
                alerts.get_welfare_case(tenant, DISPATCHER, "welfare:nope:2026-11-23")
            with pytest.raises(Exception) as mayor_acts:
                alerts.take_welfare_case(tenant, MAYOR, CASE_ID)
            wait_for("the closing event", lambda: any(k == "closed" for k, _ in published))

    assert len(first) == 1 and len(second) == 1  # one case, whatever the redeliveries
    assert len(sandbox.phone(SOPHIE.phone)["messages"]) == 1
    sms, instructions = sandbox.phone(CARON.phone)["messages"]
    assert "répondez 1 hospitalisé, 2 absent prévu" in instructions["body"]
    assert "Mme Lefebvre n'a pas ouvert au livreur de repas à 11h40" in sms["body"]
    said = " ".join(second[0]["said"])
    assert "Mme Lefebvre n'a pas ouvert la porte" in said and "appuyez sur 1" in said
    assert "vous vous en occupez" in " ".join(pressed["said"])
    assert taken["status"] == "taken" and taken["taken_by"] == "Michel Caron (touche 1)"
    assert outcome["outcome"] == "hospitalised"
    assert outcome["history"][-1]["actor"] == "Michel Caron"
    assert outcome["history"][-1]["detail"] == "hospitalisé : par SMS"
    assert closed["status"] == "closed" and listed_open == []
    kinds = [(s["kind"], s["contact_index"]) for s in closed["history"]]
    assert kinds == [
        ("opened", None),
        ("contact_called", 0), ("contact_texted", 0), ("no_acknowledgement", 0),
        ("contact_called", 1), ("contact_texted", 1), ("acknowledged", 1),
        ("outcome_recorded", None), ("closed", None),
    ]  # fmt: skip
    times = [s["at"] for s in closed["history"]]
    assert times == sorted(times)
    assert mayor_view["history"] == closed["history"]
    assert [type(e).__name__ for e in refused] == ["RemoteError", "RemoteError"]
    assert all(e.exc_type == "NotFound" for e in refused)  # type: ignore[attr-defined]
    # The same answer as for a case that does not exist: existence does not leak.
    assert str(refused[0]).replace("d-42", "X") == str(missing.value).replace("nope", "X")
    assert mayor_acts.value.exc_type == "Forbidden"  # type: ignore[attr-defined]
    ends = [(kind, body) for kind, body in published if kind != "updated"]
    assert [(kind, body["payload"]["case_id"]) for kind, body in ends] == [
        ("opened", CASE_ID),
        ("closed", CASE_ID),
    ]
    assert ends[1][1]["payload"]["outcome"] == "hospitalised"
    assert ends[1][1]["payload"]["closed_by"] == "dispatcher-1"
    # Every step in between is published too (kinds only: the details name people).
    updates = sorted((b["payload"] for k, b in published if k == "updated"), key=lambda p: p["at"])
    assert [(u["case_id"], u["status"], u["steps"]) for u in updates] == [
        (CASE_ID, "calling", ["no_acknowledgement", "contact_called", "contact_texted"]),
        (CASE_ID, "taken", ["acknowledged"]),
        (CASE_ID, "taken", ["outcome_recorded"]),
    ]
