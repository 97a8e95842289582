"""kill -9 of routing during a solve, and of carpool in the middle of bookings by SMS.

routing: the request a dead routing was solving is not lost: the broker hands it to the restarted
service, which solves it and answers the caller still waiting; the day holds that one plan.
carpool: six people text `1` at once for a ride with two seats and carpool dies among them; after
its restart, two have a seat, four are told it is gone, nobody gets two answers and no seat is
sold twice.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import eventlet
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from contracts.envelope import Envelope
from contracts.messaging import SmsReceived
from tests.callers import DISPATCHER
from tests.sandbox_process import SandboxProcess
from tests.service.nameko_process import start_services, stop, wait_serving

pytestmark = pytest.mark.service

PARIS = ZoneInfo("Europe/Paris")
KITCHEN = [51.2667, 4.7125]
HOMES = [[51.2983, 4.7331], [51.2260, 4.7720], [51.2480, 4.8420], [51.2860, 4.8020]]
SOLVE_S = 6


@pytest.fixture
def config(service_config: dict[str, Any], kempen_drive_artefact: Path) -> dict[str, Any]:
    return {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}


def _meal_request(day: str) -> dict[str, Any]:
    return {
        "date": day,
        "kitchen": KITCHEN,
        "deliveries": [
            {"id": f"d{i}", "location": home, "window_start": "10:30", "window_end": "13:00"}
            for i, home in enumerate(HOMES)
        ],
        "vehicles": [{"id": "van-1", "capacity": 10, "shift_start": "10:00", "shift_end": "14:00"}],
        "time_limit_s": SOLVE_S,
    }


def test_routing_killed_mid_solve_the_solve_completes_after_the_restart(
    config: dict[str, Any], tenant: str, tmp_path: Path
) -> None:
    graph = {"ROUTING_GRAPH": str(config["ROUTING_GRAPH"])}
    first = start_services(config, ["services.routing.service"], tmp_path / "r1.log", **graph)
    second = None
    day = dt.datetime.now(PARIS).date().isoformat()
    try:
        wait_serving(config, "routing", tmp_path / "r1.log")

        def plan() -> Any:
            with ServiceRpcProxy("routing", config, timeout=90) as routing:
                return routing.plan_meal_round(tenant, DISPATCHER, _meal_request(day))

        caller = eventlet.spawn(plan)
        eventlet.sleep(2)  # solving
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        second = start_services(config, ["services.routing.service"], tmp_path / "r2.log", **graph)
        wait_serving(config, "routing", tmp_path / "r2.log")
        with eventlet.Timeout(90):
            answered = caller.wait()
        with ServiceRpcProxy("routing", config, timeout=30) as routing:
            day_rounds = routing.rounds_of_day(tenant, DISPATCHER, day)
    finally:
        stop(first, second)

    served = {s["id"] for v in answered["vehicles"] for s in v["stops"]}
    assert served | {u["id"] for u in answered["unserved"]} == {"d0", "d1", "d2", "d3"}
    # The caller's plan is the day's only plan: the killed solve left nothing half-done behind.
    assert [r["round_id"] for r in day_rounds] == [answered["round_id"]]


PLACES = "name,lat,lon\nZoersel,51.2667,4.7125\nPulle,51.2480,4.8420\n"
SEATS = 2
PASSENGERS = 6


def _text(config: dict[str, Any], tenant: str, phone: str, body: str) -> None:
    sid = "SM" + os.urandom(16).hex()
    sms = SmsReceived(message_sid=sid, from_phone=phone, to="+33700000000", body=body)
    envelope = Envelope.wrap(sms, tenant=tenant, event_id=sid).model_dump(mode="json")
    event_dispatcher(config)("alerts", "sms_received", envelope)


def _inbox(sandbox: SandboxProcess, phone: str) -> list[str]:
    return [m["body"] for m in sandbox.phone(phone)["messages"]]


def _until(what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not so after {timeout:g} s")
        time.sleep(0.2)


def test_carpool_killed_mid_booking_sells_no_seat_twice_and_answers_once(
    config: dict[str, Any], sandbox: SandboxProcess, tenant: str, tmp_path: Path
) -> None:
    extra = {"ROUTING_GRAPH": str(config["ROUTING_GRAPH"]), "TWILIO_BASE_URL": sandbox.base_url}
    others = start_services(
        config,
        ["services.routing.service", "services.alerts.service"],
        tmp_path / "ra.log",
        **extra,
    )
    first = start_services(config, ["services.carpool.service"], tmp_path / "c1.log", **extra)
    second = None
    phones = [f"+3361{random.randrange(10**7):07d}" for _ in range(PASSENGERS)]
    tomorrow = (dt.datetime.now(PARIS).date() + dt.timedelta(days=1)).isoformat()
    jan = {"username": "jan", "role": "resident", "communes": []}
    try:
        for service, log in (("routing", "ra.log"), ("alerts", "ra.log"), ("carpool", "c1.log")):
            wait_serving(config, service, tmp_path / log)
        with ServiceRpcProxy("carpool", config, timeout=60) as carpool:
            carpool.import_places(tenant, DISPATCHER, PLACES, "list")
            ride = {
                "origin": [51.2667, 4.7125], "destination": [51.2480, 4.8420],
                "date": tomorrow, "depart_earliest": "08:00", "depart_latest": "08:30",
                "seats": SEATS, "first_name": "Jan",
            }  # fmt: skip
            carpool.offer_ride(tenant, jan, ride)
        for phone in phones:
            _text(config, tenant, phone, "COVOIT Zoersel Pulle demain 8h")
        _until("every phone has its options", lambda: all(_inbox(sandbox, p) for p in phones), 60)
        assert all("1)" in _inbox(sandbox, p)[0] for p in phones)

        for phone in phones:
            _text(config, tenant, phone, "1")
        time.sleep(0.02)  # some bookings made, some in hand, some still queued
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        second = start_services(config, ["services.carpool.service"], tmp_path / "c2.log", **extra)
        wait_serving(config, "carpool", tmp_path / "c2.log")
        # An answer claimed by the dead process is taken over when its 30 s claim lapses.
        _until(
            "every phone answered after the restart",
            lambda: all(len(_inbox(sandbox, p)) >= 2 for p in phones),
            75,
        )
        time.sleep(2)  # a repeated answer would arrive now
        with ServiceRpcProxy("carpool", config, timeout=30) as carpool:
            bookings = carpool.my_carpool(tenant, jan)["bookings"]
    finally:
        stop(first, second, others)

    answers = [_inbox(sandbox, p)[1:] for p in phones]
    assert all(len(a) == 1 for a in answers), answers  # one answer each, never two
    booked = [a[0] for a in answers if a[0].startswith("Réservé")]
    refused = [a[0] for a in answers if "plus disponible" in a[0]]
    assert (len(booked), len(refused)) == (SEATS, PASSENGERS - SEATS), answers
    live = [b for b in bookings if b["status"] in ("pending", "confirmed")]
    assert len(live) == SEATS
    assert len({b["passenger"] for b in live}) == SEATS
