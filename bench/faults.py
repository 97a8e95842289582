"""Faults with figures: real work, one fault injected half-way, what was lost or done twice.

    .venv/bin/python bench/faults.py [--people 5000] [--rate 400] [--only alerts_kill9,...]

Everything runs on components of its own, so nothing anyone else runs is touched: a private
RabbitMQ node (`tests/private_broker.py`: restarted at will), a Redis with the append-only file
(`everysec`, as compose runs it) on a free port, the Twilio sandbox, and the services with
`nameko run`, on the real Kempen road graph. One row per fault:

- `lost`: work that never happened and was not reported failed (phones without their SMS, a solve
  nobody answered, a parked poison missing, a booking text never answered);
- `duplicated`: a side effect done twice (a second SMS to a phone, a second plan for one solve, a
  seat sold past the ride's seats, a poison parked twice or retried although invalid);
- `recover_s`: from the fault (or its end, for a stop of several seconds) to the work flowing
  again (the provider receiving new SMS, the solve answered, every text answered, every poison
  parked); `finish_s`: from the fault to the work all done.

The `baseline` row is the same campaign without a fault, in the same run. Target: 0 lost and
0 duplicated on every row. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kombu import Connection, Exchange, Producer, Queue  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402

from bench.support.fault_stack import Stack, kill9, until  # noqa: E402
from contracts.envelope import Envelope  # noqa: E402
from contracts.messaging import SmsReceived  # noqa: E402
from tests.callers import DISPATCHER  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
OSM = Path(os.environ.get("BOCAGE_SHARED_DATA", REPO.parent / "shared" / "data")) / "osm"
KITCHEN = [51.2667, 4.7125]
HOMES = [[51.2983, 4.7331], [51.2260, 4.7720], [51.2480, 4.8420], [51.2860, 4.8020]]
PLACES = "name,lat,lon\nZoersel,51.2667,4.7125\nPulle,51.2480,4.8420\n"
HEADER = "nom;prénom;téléphone;commune;vulnérable;date consentement\n"


# -- campaigns ------------------------------------------------------------------------------------
def _campaign(stack: Stack, people: int) -> tuple[str, str]:
    tenant = f"faults-{random.randrange(16**8):08x}"
    rows = [
        f"P{i};Pers;06 6{i // 1_000_000 % 10} {i // 10_000 % 100:02d} {i // 100 % 100:02d} "
        f"{i % 100:02d};59043;non;01/02/2025"
        for i in range(people)
    ]
    encoded = base64.b64encode((HEADER + "\n".join(rows)).encode()).decode()
    request = {
        "title": "Exercice", "message": "Exercice : ceci est un test.", "severity": "information",
        "target": {"communes": ["59043"]}, "channels": ["sms"],
    }  # fmt: skip
    with stack.proxy("alerts", timeout=120) as alerts:
        imported = alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})
        assert imported["imported"] == people, imported
        campaign_id = alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
        alerts.send_campaign(tenant, DISPATCHER, campaign_id)
    return tenant, campaign_id


def _received(stack: Stack) -> int:
    return int(stack.sandbox.get("/sandbox/stats")["messages"])


def _campaign_figures(stack: Stack, people: int, tenant: str, campaign_id: str) -> dict[str, Any]:
    def finished() -> bool:
        try:
            with stack.proxy("alerts", timeout=10) as alerts:
                view = alerts.get_campaign(tenant, DISPATCHER, campaign_id)
        except Exception:
            return False
        return bool(view["campaign"]["status"] == "sent")

    with contextlib.suppress(RuntimeError):  # not finished: counted below as lost
        until("the campaign finished", finished, 240, step=0.3)
    per_phone = stack.sandbox.get("/sandbox/stats")["phones_by_messages_received"]
    reached = sum(per_phone.values())
    extra = sum((int(k) - 1) * n for k, n in per_phone.items())
    return {"work": f"{people}-recipient campaign", "lost": people - reached, "duplicated": extra}


def run_campaign_fault(
    stack: Stack, people: int, fault: Callable[[subprocess.Popen[bytes]], float | None]
) -> dict[str, Any]:
    """A campaign; at a third sent, `fault(alerts process)` (returns when the fault ended)."""
    stack.fresh()
    alerts = stack.services("services.alerts.service:AlertsService", log="alerts.log")
    stack.serving("alerts")
    tenant, campaign_id = _campaign(stack, people)
    sending = time.monotonic()
    until("a third sent", lambda: _received(stack) >= people // 3, 240, step=0.02)
    at_fault = time.monotonic()
    ended = fault(alerts)
    fault_over = time.monotonic() if ended is None else ended
    seen = _received(stack)
    until("sends flowing again", lambda: _received(stack) > seen or _received(stack) >= people,
          240, step=0.02)  # fmt: skip
    recovered = time.monotonic()
    figures = _campaign_figures(stack, people, tenant, campaign_id)
    done = time.monotonic()
    return {
        **figures,
        "recover_s": round(recovered - fault_over, 2),
        "finish_s": round(done - at_fault, 2),
        "campaign_s": round(done - sending, 2),
    }


def baseline(stack: Stack, people: int) -> dict[str, Any]:
    stack.fresh()
    stack.services("services.alerts.service:AlertsService", log="alerts.log")
    stack.serving("alerts")
    tenant, campaign_id = _campaign(stack, people)
    started = time.monotonic()
    figures = _campaign_figures(stack, people, tenant, campaign_id)
    return {**figures, "recover_s": 0.0, "campaign_s": round(time.monotonic() - started, 2)}


def alerts_kill9(stack: Stack, people: int) -> dict[str, Any]:
    def fault(alerts: subprocess.Popen[bytes]) -> float:
        kill9(alerts)
        stack.services("services.alerts.service:AlertsService", log="alerts.log")
        return time.monotonic()

    return run_campaign_fault(stack, people, fault)


def rabbitmq_restart_campaign(stack: Stack, people: int, down_s: float) -> dict[str, Any]:
    rpc: dict[str, float] = {}

    def fault(alerts: subprocess.Popen[bytes]) -> float:
        stack.broker.stop_app()
        time.sleep(down_s)
        stack.broker.start_app()
        ended = time.monotonic()
        rpc["back_s"] = until("alerts answers again", lambda: stack.pings("alerts"), 90)
        return ended

    row = run_campaign_fault(stack, people, fault)
    row["rpc_answered_again_after_s"] = round(rpc["back_s"], 2)
    return row


def redis_restart_campaign(stack: Stack, people: int) -> dict[str, Any]:
    def fault(alerts: subprocess.Popen[bytes]) -> float:
        stack.kill9_redis()  # up to a second of writes lost (AOF everysec)
        stack.start_redis()
        return time.monotonic()

    return run_campaign_fault(stack, people, fault)


def provider_outage(stack: Stack, people: int, window_s: float) -> dict[str, Any]:
    hits: dict[str, int] = {}

    def fault(alerts: subprocess.Popen[bytes]) -> float:
        for mode in ("error", "timeout", "lost_answer"):
            before = stack.sandbox.get("/sandbox/outage")["hits"]
            stack.sandbox.post("/sandbox/outage", mode=mode, seconds=str(window_s), hold_s="4")
            time.sleep(window_s)
            hits[mode] = stack.sandbox.get("/sandbox/outage")["hits"] - before
        return time.monotonic()

    row = run_campaign_fault(stack, people, fault)
    row["requests_failed_by_the_outage"] = hits
    return row


# -- routing --------------------------------------------------------------------------------------
def _solve_request(day: str, seconds: int) -> dict[str, Any]:
    return {
        "date": day, "kitchen": KITCHEN,
        "deliveries": [{"id": f"d{i}", "location": h, "window_start": "10:30",
                        "window_end": "13:00"} for i, h in enumerate(HOMES)],
        "vehicles": [{"id": "van-1", "capacity": 10, "shift_start": "10:00",
                      "shift_end": "14:00"}],
        "time_limit_s": seconds,
    }  # fmt: skip


def _solve_in_background(stack: Stack, tenant: str, day: str, seconds: int) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            with stack.proxy("routing", timeout=120) as routing:
                outcome["plan"] = routing.plan_meal_round(
                    tenant, DISPATCHER, _solve_request(day, seconds)
                )
        except Exception as error:
            outcome["error"] = f"{type(error).__name__}: {error}"[:200]
        outcome["at"] = time.monotonic()

    outcome["thread"] = threading.Thread(target=call, daemon=True)
    outcome["thread"].start()
    return outcome


def _plans(stack: Stack, tenant: str, day: str) -> int:
    with stack.proxy("routing") as routing:
        return len(routing.rounds_of_day(tenant, DISPATCHER, day))


def routing_kill9_solve(stack: Stack) -> dict[str, Any]:
    stack.fresh()
    routing = stack.services("services.routing.service", log="routing.log")
    stack.serving("routing")
    tenant, day = f"faults-{random.randrange(16**8):08x}", dt.datetime.now(PARIS).date().isoformat()
    outcome = _solve_in_background(stack, tenant, day, 6)
    time.sleep(2)
    killed = time.monotonic()
    kill9(routing)
    stack.services("services.routing.service", log="routing.log")
    outcome["thread"].join(timeout=150)
    plans = _plans(stack, tenant, day)
    answered = "plan" in outcome
    return {
        "work": "a meal-round solve (6 s)",
        "lost": 0 if answered or "error" in outcome else 1,
        "duplicated": max(0, plans - 1),
        "recover_s": round(outcome.get("at", time.monotonic()) - killed, 2),
        "outcome": "solved after the restart" if answered else outcome.get("error", "hung"),
    }


def rabbitmq_restart_solve(stack: Stack, down_s: float) -> dict[str, Any]:
    stack.fresh()
    stack.services("services.routing.service", log="routing.log")
    stack.serving("routing")
    tenant, day = f"faults-{random.randrange(16**8):08x}", dt.datetime.now(PARIS).date().isoformat()
    outcome = _solve_in_background(stack, tenant, day, 20)
    time.sleep(2)
    stopped = time.monotonic()
    stack.broker.stop_app()
    outcome["thread"].join(timeout=30)
    told_s = outcome["at"] - stopped if "at" in outcome else None
    time.sleep(max(0.0, stopped + down_s - time.monotonic()))
    stack.broker.start_app()
    back = until("routing answers again", lambda: stack.pings("routing"), 90)
    time.sleep(22)  # a redelivered solve would finish by now
    plans = _plans(stack, tenant, day)
    return {
        "work": "a meal-round solve (20 s)",
        "lost": 0 if "at" in outcome else 1,  # the caller heard (an answer or an error)
        "duplicated": max(0, plans - 1),
        "recover_s": round(back, 2),
        "caller_told_after_s": None if told_s is None else round(told_s, 2),
        "outcome": outcome.get("error", "answered"),
        "plans_stored": plans,
    }


# -- carpool --------------------------------------------------------------------------------------
def _text(stack: Stack, tenant: str, phone: str, body: str) -> None:
    sid = "SM" + os.urandom(16).hex()
    sms = SmsReceived(message_sid=sid, from_phone=phone, to="+33700000000", body=body)
    envelope = Envelope.wrap(sms, tenant=tenant, event_id=sid).model_dump(mode="json")
    event_dispatcher(stack.config)("alerts", "sms_received", envelope)


def carpool_kill9_booking(stack: Stack, passengers: int, seats: int) -> dict[str, Any]:
    stack.fresh()
    stack.services("services.routing.service", "services.alerts.service", log="ra.log")
    carpool = stack.services("services.carpool.service", log="carpool.log")
    for service in ("routing", "alerts", "carpool"):
        stack.serving(service)
    tenant = f"faults-{random.randrange(16**8):08x}"
    jan = {"username": "jan", "role": "resident", "communes": []}
    tomorrow = (dt.datetime.now(PARIS).date() + dt.timedelta(days=1)).isoformat()
    with stack.proxy("carpool") as proxy:
        proxy.import_places(tenant, DISPATCHER, PLACES, "list")
        proxy.offer_ride(tenant, jan, {
            "origin": [51.2667, 4.7125], "destination": [51.2480, 4.8420], "date": tomorrow,
            "depart_earliest": "08:00", "depart_latest": "08:30", "seats": seats,
            "first_name": "Jan",
        })  # fmt: skip
    phones = [f"+3361{random.randrange(10**7):07d}" for _ in range(passengers)]

    def inbox(phone: str) -> list[str]:
        return [m["body"] for m in stack.sandbox.phone(phone)["messages"]]

    for phone in phones:
        _text(stack, tenant, phone, "COVOIT Zoersel Pulle demain 8h")
    until("options texted", lambda: all(inbox(p) for p in phones), 120, step=0.3)
    for phone in phones:
        _text(stack, tenant, phone, "1")
    time.sleep(0.1)
    killed = time.monotonic()
    kill9(carpool)
    stack.services("services.carpool.service", log="carpool.log")
    try:
        recover = until("every text answered", lambda: all(len(inbox(p)) >= 2 for p in phones),
                        120, step=0.3)  # fmt: skip
    except RuntimeError:
        recover = time.monotonic() - killed
    time.sleep(3)
    answers = [inbox(p)[1:] for p in phones]
    with stack.proxy("carpool") as proxy:
        bookings = proxy.my_carpool(tenant, jan)["bookings"]
    live = [b for b in bookings if b["status"] in ("pending", "confirmed")]
    return {
        "work": f"{passengers} simultaneous SMS bookings for {seats} seats",
        "lost": sum(1 for a in answers if not a),
        "duplicated": sum(len(a) - 1 for a in answers if len(a) > 1) + max(0, len(live) - seats),
        "recover_s": round(recover, 2),
        "seats_sold": len(live),
    }


# -- poison ---------------------------------------------------------------------------------------
def poison_every_handler(stack: Stack) -> dict[str, Any]:
    from tests.service.poison import event_handlers, service_classes

    stack.fresh()
    classes = service_classes()
    modules = sorted({f"{cls.__module__}:{cls.__name__}" for cls in classes})
    stack.services(*modules, log="poison.log")
    for cls in classes:
        stack.serving(cls.name)
    poisons = [
        (b'{"not": "an envelope"}', "application/json"),
        (b"\x00\x01 not json {", "application/json"),
        (b"\x80\x04K\x01.", "application/x-python-serialize"),
    ]
    sent = 0
    started = time.monotonic()
    with Connection(stack.broker.amqp_uri) as connection:
        for cls in classes:
            for handler in event_handlers(cls):
                exchange = Exchange(f"{handler.source_service}.events", type="topic", durable=True)
                producer = Producer(connection.channel(), exchange=exchange)
                for body, content_type in poisons:
                    producer.publish(
                        body,
                        routing_key=handler.event_type,
                        content_type=content_type,
                        content_encoding="utf-8",
                    )
                    sent += 1  # fmt: skip
    parked: list[Any] = []
    last_new = time.monotonic()
    with Connection(stack.broker.amqp_uri) as connection:
        queues = [Queue(f"{cls.name}.dead-letters", durable=True)(connection.default_channel)
                  for cls in classes]  # fmt: skip
        while time.monotonic() - last_new < (3 if len(parked) >= sent else 30):
            got = [q.get(no_ack=True) for q in queues]
            found = [m for m in got if m is not None]
            parked += found
            if found:
                last_new = time.monotonic()
            else:
                time.sleep(0.2)
    all_parked_s = last_new - started
    retried = sum(1 for m in parked if int(m.headers.get("x-attempts", 1)) > 1)
    up = all(stack.pings(cls.name) for cls in classes)
    return {
        "work": f"{sent} poisons on {sent // len(poisons)} handlers of {len(classes)} services",
        "lost": max(0, sent - len(parked)),
        "duplicated": max(0, len(parked) - sent) + retried,
        "recover_s": round(all_parked_s, 2),
        "services_still_up": up,
    }


# -- Redis without persistence ------------------------------------------------------------------
def redis_without_persistence(stack: Stack) -> dict[str, Any]:
    stack.fresh()
    stack.stop_redis()
    stack.start_redis(("--appendonly", "no", "--save", ""))
    try:
        log = stack.base / "alerts-no-persistence.log"
        stack.services("services.alerts.service:AlertsService", log=log.name,
                       LOG_LEVEL="WARNING")  # fmt: skip
        stack.serving("alerts")
        warned = "has no persistence" in log.read_text(errors="replace")
    finally:
        stack.fresh()
        stack.stop_redis()
        stack.start_redis()
    return {
        "work": "alerts started on a Redis without persistence",
        "lost": 0,
        "duplicated": 0,
        "recover_s": 0.0,
        "warned_at_start": warned,
    }


def build_graph(base: Path) -> Path:
    from services.routing.graph import build_from_osm_file, write_artefact

    graph = build_from_osm_file(OSM / "flanders-kempen-2013_drive.osm")
    return Path(write_artefact(graph, base, "kempen-drive"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=400, help="SMS per second")
    parser.add_argument("--down-s", type=float, default=5.0, help="RabbitMQ stopped this long")
    parser.add_argument("--outage-s", type=float, default=3.0, help="each provider trouble")
    parser.add_argument("--only", default="", help="comma-separated row names")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    base = Path(tempfile.mkdtemp(prefix="bocage-bench-faults-"))
    graph = build_graph(base)
    stack = Stack(base, graph, args.rate)
    rows: dict[str, Callable[[], dict[str, Any]]] = {
        "baseline": lambda: baseline(stack, args.people),
        "alerts_kill9_mid_campaign": lambda: alerts_kill9(stack, args.people),
        "rabbitmq_restart_mid_campaign": lambda: rabbitmq_restart_campaign(
            stack, args.people, args.down_s
        ),
        "redis_restart_aof_mid_campaign": lambda: redis_restart_campaign(stack, args.people),
        "twilio_outage_mid_campaign": lambda: provider_outage(stack, args.people, args.outage_s),
        "routing_kill9_mid_solve": lambda: routing_kill9_solve(stack),
        "rabbitmq_restart_mid_solve": lambda: rabbitmq_restart_solve(stack, args.down_s),
        "carpool_kill9_mid_booking": lambda: carpool_kill9_booking(stack, 12, 3),
        "poison_on_every_handler": lambda: poison_every_handler(stack),
        "redis_without_persistence": lambda: redis_without_persistence(stack),
    }
    wanted = [n for n in args.only.split(",") if n] or list(rows)
    results: dict[str, Any] = {}
    try:
        for name in wanted:
            started = time.monotonic()
            try:
                results[name] = rows[name]()
            except Exception as error:  # a row that could not run says why; the others go on
                results[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
            results[name]["row_s"] = round(time.monotonic() - started, 1)
    finally:
        stack.close()
    faults = {k: v for k, v in results.items() if k != "baseline"}
    print(json.dumps({
        "bench": "faults",
        "people": args.people, "sms_rate": args.rate, "rabbitmq_down_s": args.down_s,
        "all_zero": all(r.get("lost") == 0 and r.get("duplicated") == 0 for r in faults.values()),
        "rows": results,
        "logs": str(base),
    }, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
