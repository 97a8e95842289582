"""Seniors' meals on the routing service, real RabbitMQ, Redis and the Kempen road graph
(issue 11): profiles placed on the road graph, families that reach only their seniors, orders
refused with the reason, the day planned from the orders, the kitchen sheet, the driver at the
door (once), positions from the round's own driver only, and the events the alerts service acts
on, filled in."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from contracts.meals_events import FamilySmsReceipt
from services.common.dead_letter import event_handler
from services.common.events import make_message
from services.routing.service import RoutingService

pytestmark = pytest.mark.service

PARIS = ZoneInfo("Europe/Paris")
DISPATCHER = {"username": "dispatcher-1", "role": "dispatcher"}
DRIVER = {"username": "driver-1", "role": "driver"}
OTHER_DRIVER = {"username": "driver-2", "role": "driver"}
FAMILY_A = {"username": "famille-lefebvre", "role": "family"}
FAMILY_B = {"username": "famille-dubois", "role": "family"}
KITCHEN = [51.2667, 4.7125]
FIELD = [51.26297, 4.75736]  # in the fields, 854 m from the nearest road
# Far enough ahead that every order is open (cutoffs are 72 h at most by default).
DAY = dt.datetime.now(PARIS).date() + dt.timedelta(days=10)
WEEK = DAY - dt.timedelta(days=DAY.weekday())
ALL_WEEK = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
SENIORS = [
    ("s-lefebvre", "Jeanne", "Lefebvre", [51.2983, 4.7331], "59350", ["sans_sel"]),
    ("s-dubois", "Marcel", "Dubois", [51.2860, 4.8020], "59009", []),
    ("s-martin", "Louise", "Martin", [51.2480, 4.8420], "59009", []),
]
events: list[tuple[str, dict[str, Any]]] = []


class MealsWatcher:
    name = "meals_watcher"

    @event_handler("routing", "delivery_completed")
    def handle_delivery_completed(self, body: dict[str, Any]) -> None:
        events.append(("delivery_completed", body))

    @event_handler("routing", "delivery_failed")
    def handle_delivery_failed(self, body: dict[str, Any]) -> None:
        events.append(("delivery_failed", body))

    @event_handler("routing", "delivery_eta_updated")
    def handle_delivery_eta_updated(self, body: dict[str, Any]) -> None:
        events.append(("delivery_eta_updated", body))

    @event_handler("routing", "round_completed")
    def handle_round_completed(self, body: dict[str, Any]) -> None:
        events.append(("round_completed", body))

    @event_handler("routing", "order_placed")
    def handle_order_placed(self, body: dict[str, Any]) -> None:
        events.append(("order_placed", body))


def profile(sid: str, first: str, last: str, at: list[float], commune: str,
            diets: list[str]) -> dict[str, Any]:  # fmt: skip
    return {
        "id": sid, "first_name": first, "last_name": last, "address": f"rue {last}",
        "commune": commune, "location": at, "weekdays": ALL_WEEK, "diets": diets,
        "door_notes": f"boîte à clés chez {last}",
        "emergency_contacts": [
            {"name": f"Fils {last}", "phone": "+33612345678", "relation": "family"},
            {"name": "Voisine", "phone": "+33687654321", "relation": "neighbour"},
        ],
    }  # fmt: skip


MENU = {
    "week": WEEK.isoformat(),
    "days": [{"day": DAY.isoformat(), "choices": [
        {"id": "blanquette", "name": "Blanquette de veau", "textures": ["normale", "hachee"]},
        {"id": "colin", "name": "Colin sauce citron", "diets": ["sans_sel"]},
    ]}],
}  # fmt: skip


@pytest.fixture
def routing_config(service_config: dict[str, Any], kempen_drive_artefact: Path) -> dict[str, Any]:
    return {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}


def _metres(a: list[float], b: list[float]) -> float:
    """Distance on the ground between two [lat, lon] points (equirectangular, short range)."""
    dy = (a[0] - b[0]) * 111_195
    dx = (a[1] - b[1]) * 111_195 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def _refused(call: Any, *args: Any) -> RemoteError:
    with pytest.raises(RemoteError) as error:
        call(*args)
    return error.value


def test_seniors_orders_the_day_and_the_door(
    runner_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    events.clear()
    runner = runner_factory(routing_config, RoutingService, MealsWatcher)
    runner.start()
    watcher = next(c for c in runner.containers if c.service_name == "meals_watcher")

    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        for senior in SENIORS:
            routing.save_senior(tenant, DISPATCHER, profile(*senior))
        off_road = _refused(routing.save_senior, tenant, DISPATCHER,
                            profile("s-ferme", "Paul", "Hoeve", FIELD, "59350", []))  # fmt: skip
        routing.link_family(tenant, DISPATCHER, "s-lefebvre",
                            {"username": FAMILY_A["username"], "phone": "+33611111111",
                             "notify": True})  # fmt: skip
        routing.link_family(tenant, DISPATCHER, "s-dubois", {"username": FAMILY_B["username"]})
        routing.publish_menu(tenant, DISPATCHER, MENU)
        day = DAY.isoformat()

        # A family sees and orders only for its own senior: any other is "not found".
        assert [s["id"] for s in routing.list_seniors(tenant, FAMILY_A)] == ["s-lefebvre"]
        hidden = [
            _refused(routing.get_senior, tenant, FAMILY_A, "s-dubois"),
            _refused(routing.place_order, tenant, FAMILY_A, "s-dubois",
                     {"day": day, "choice_id": "blanquette"}),
            _refused(routing.senior_history, tenant, FAMILY_A, "s-dubois"),
            _refused(routing.track_delivery, tenant, FAMILY_A, "s-dubois", day),
            _refused(routing.get_senior, tenant, FAMILY_A, "s-nobody"),
        ]  # fmt: skip
        against_diet = _refused(routing.place_order, tenant, FAMILY_A, "s-lefebvre",
                                {"day": day, "choice_id": "blanquette"})  # fmt: skip
        unknown = _refused(routing.place_order, tenant, FAMILY_A, "s-lefebvre",
                           {"day": day, "choice_id": "couscous"})  # fmt: skip
        with entrypoint_waiter(watcher, "handle_order_placed", timeout=20):
            ordered = routing.place_order(tenant, FAMILY_A, "s-lefebvre",
                                          {"day": day, "choice_id": "colin"})  # fmt: skip
        routing.place_order(tenant, FAMILY_B, "s-dubois", {"day": day, "choice_id": "blanquette"})
        routing.place_order(tenant, DISPATCHER, "s-martin", {"day": day, "choice_id": "blanquette"})
        # The tenant closes orders two weeks ahead: the same order is now read-only.
        routing.set_meal_settings(tenant, DISPATCHER, {"cutoff_hours": 336,
                                                       "weekend_cutoff_hours": 336})  # fmt: skip
        too_late = _refused(routing.cancel_order, tenant, FAMILY_A, "s-lefebvre", day)
        orders = routing.senior_orders(tenant, FAMILY_A, "s-lefebvre", day)
        routing.set_meal_settings(tenant, DISPATCHER, {})

        plan = routing.plan_meal_day(tenant, DISPATCHER, {
            "date": day, "kitchen": KITCHEN, "time_limit_s": 1,
            "vehicles": [{"id": "van-1", "capacity": 10, "shift_start": "10:00",
                          "shift_end": "14:00", "driver": DRIVER["username"]}],
        })  # fmt: skip
        sheet = routing.get_kitchen_sheet(tenant, DISPATCHER, day)
        round_id = plan["round_id"]
        started = routing.start_round(tenant, DRIVER, round_id, "van-1")
        stops = [s["delivery_id"] for s in started["stops"]]
        not_theirs = _refused(routing.record_position, tenant, OTHER_DRIVER, round_id,
                              {"vehicle_id": "van-1", "location": KITCHEN,
                               "at": f"{day}T10:30:00+01:00"})  # fmt: skip
        with entrypoint_waiter(watcher, "handle_delivery_eta_updated", timeout=20):
            first = routing.record_position(
                tenant,
                DRIVER,
                round_id,
                {"vehicle_id": "van-1", "location": KITCHEN, "at": f"{day}T10:30:00+01:00"},
            )
        # The same place twenty minutes later: the van is late, every ETA moves.
        late = routing.record_position(
            tenant,
            DRIVER,
            round_id,
            {"vehicle_id": "van-1", "location": KITCHEN, "at": f"{day}T10:50:00+01:00"},
        )
        stale = routing.record_position(
            tenant,
            DRIVER,
            round_id,
            {"vehicle_id": "van-1", "location": KITCHEN, "at": f"{day}T10:40:00+01:00"},
        )
        seen_by_family = routing.track_delivery(tenant, FAMILY_A, "s-lefebvre", day)
        # The van heads to its first stop: that senior's page gets its road, no other.
        heading = routing.track_delivery(tenant, DISPATCHER, started["stops"][0]["senior_id"], day)
        heading_again = routing.track_delivery(
            tenant, DISPATCHER, started["stops"][0]["senior_id"], day
        )
        not_yet = routing.track_delivery(tenant, DISPATCHER, started["stops"][1]["senior_id"], day)

        first_stop = started["next_stop"]
        mark = {"outcome": "delivered", "at": f"{day}T11:05:00+01:00"}
        not_the_driver = _refused(routing.mark_delivery, tenant, OTHER_DRIVER,
                                  first_stop["delivery_id"], mark)  # fmt: skip
        with entrypoint_waiter(watcher, "handle_delivery_completed", timeout=20):
            after = routing.mark_delivery(tenant, DRIVER, first_stop["delivery_id"], mark)
        twice = _refused(routing.mark_delivery, tenant, DRIVER, first_stop["delivery_id"],
                         {"outcome": "absent", "at": f"{day}T11:06:00+01:00"})  # fmt: skip
        second = after["next_stop"]
        with entrypoint_waiter(watcher, "handle_delivery_failed", timeout=20):
            routing.mark_delivery(tenant, DRIVER, second["delivery_id"],
                                  {"outcome": "absent", "at": f"{day}T11:20:00+01:00"})  # fmt: skip
        history = routing.senior_history(tenant, DISPATCHER, first_stop["senior_id"])
        under_way = routing.get_meal_day(tenant, DISPATCHER, day)
        # The last door: the round is done, once, for the driver and the dispatcher alike.
        with entrypoint_waiter(watcher, "handle_round_completed", timeout=20):
            last = routing.mark_delivery(
                tenant, DRIVER, stops[2], {"outcome": "refused", "at": f"{day}T11:41:00+01:00"}
            )
        finished = routing.get_meal_day(tenant, DISPATCHER, day)
        drivers_day = routing.rounds_of_day(tenant, DRIVER, day)

    assert off_road.exc_type == "InvalidMessage"
    assert "s-ferme (Paul Hoeve) is 854 m from the nearest road" in str(off_road)
    assert [e.exc_type for e in hidden] == ["NotFound"] * 5
    assert str(hidden[0]).replace("s-dubois", "X") == str(hidden[4]).replace("s-nobody", "X")
    assert "Blanquette de veau is not sans_sel" in str(against_diet)
    assert "no choice 'couscous'" in str(unknown)
    assert ordered["choice_name"] == "Colin sauce citron" and ordered["editable"] is True
    assert too_late.exc_type == "InvalidMessage" and "closed on" in str(too_late)
    assert orders[0]["editable"] is False and "closed on" in orders[0]["read_only_reason"]

    assert len(stops) == 3 and not plan["unserved"]
    assert sheet["total"] == 3 and sheet["groups"][0]["round"] == "van-1"
    assert {(line["choice_id"], line["count"]) for line in sheet["totals"]} == {
        ("blanquette", 2), ("colin", 1)}  # fmt: skip
    assert first_stop["door_notes"].startswith("boîte à clés") and first_stop["meal"]

    assert not_theirs.exc_type == "NotFound"
    assert len(first["moved"]) == 3 and len(late["moved"]) == 3 and stale["used"] is False
    assert seen_by_family["status"] == "pending" and seen_by_family["eta"]
    heading_to_her = stops[0] == "meal-" + DAY.strftime("%Y%m%d") + "-s-lefebvre"
    assert (seen_by_family["vehicle"] is not None) == heading_to_her
    assert seen_by_family["stops_before"] == stops.index(
        "meal-" + DAY.strftime("%Y%m%d") + "-s-lefebvre"
    )

    # The road left to the first stop, on the road graph: from the van to that senior's road.
    path = heading["path"]
    home = started["stops"][0]["location"]
    assert heading["vehicle"] == KITCHEN and len(path) > 2, path
    assert _metres(path[0], KITCHEN) < 300 and _metres(path[-1], home) < 300
    road = sum(_metres(a, b) for a, b in itertools.pairwise(path))
    assert road > _metres(KITCHEN, home) * 1.05  # roads, not a straight line
    assert heading_again["path"] == path
    assert not_yet["path"] is None and not_yet["vehicle"] is None
    assert (seen_by_family["path"] is not None) == heading_to_her

    assert not_the_driver.exc_type == "NotFound"
    assert twice.exc_type == "Conflict" and "already marked delivered" in str(twice)
    assert after["stops"][0]["status"] == "delivered"
    assert history[-1]["by"] == "driver-1" and "delivered" in history[-1]["what"]

    assert under_way["status"] == "started" and under_way["vehicles"][0]["marked"] == 2
    assert after["status"] == "started" and after["finished_at"] is None
    assert last["status"] == "done" and last["next_stop"] is None
    assert last["finished_at"].startswith(f"{day}T11:41:00")
    assert finished["status"] == "done" and finished["vehicles"][0]["status"] == "done"
    assert drivers_day[0]["vehicles"][0]["status"] == "done"

    mine = [(kind, body["payload"]) for kind, body in events if body["tenant"] == tenant]
    done = [p for k, p in mine if k == "round_completed"]
    assert len(done) == 1, done
    assert (done[0]["delivered"], done[0]["absent"], done[0]["refused"]) == (1, 1, 1)
    assert done[0]["vehicle_id"] == "van-1" and done[0]["driver"] == "driver-1"
    completed = [p for k, p in mine if k == "delivery_completed"]
    failed = [p for k, p in mine if k == "delivery_failed" and p["reason"] == "no_answer"]
    etas = [p for k, p in mine if k == "delivery_eta_updated"]
    assert len(completed) == 1 and completed[0]["delivery_id"] == first_stop["delivery_id"]
    assert completed[0]["round_id"] == round_id and completed[0]["reported_by"] == "driver-1"
    assert len(failed) == 1 and failed[0]["reason"] == "no_answer"
    assert [c["relation"] for c in failed[0]["emergency_contacts"]] == ["family", "neighbour"]
    assert failed[0]["senior_id"] == second["senior_id"]
    assert len(etas) == 6  # three first ETAs, three moved by the delay
    lefebvre = [p for p in etas if p["senior_id"] == "s-lefebvre"]
    assert lefebvre[0]["notify"] == [{"username": "famille-lefebvre", "phone": "+33611111111"}]
    delay = dt.datetime.fromisoformat(lefebvre[1]["eta"]) - dt.datetime.fromisoformat(
        lefebvre[0]["eta"])  # fmt: skip
    assert dt.timedelta(minutes=15) <= delay <= dt.timedelta(minutes=20)


def test_a_familys_sms_receipt_goes_into_the_seniors_history_once(
    runner_factory: Any, routing_config: dict[str, Any], tenant: str
) -> None:
    runner = runner_factory(routing_config, RoutingService)
    runner.start()
    (container,) = runner.containers
    delivered = make_message(
        FamilySmsReceipt(
            delivery_id=f"meal-{DAY:%Y%m%d}-s-lefebvre", kind="delivered",
            username=FAMILY_A["username"], status="delivered",
            at=dt.datetime.fromisoformat(f"{DAY}T11:52:00+01:00"),
        ),
        tenant=tenant,
    )  # fmt: skip
    lost = make_message(
        FamilySmsReceipt(
            delivery_id=f"meal-{DAY:%Y%m%d}-s-lefebvre", kind="approaching",
            username=FAMILY_A["username"], status="undelivered", error_code="30003",
            at=dt.datetime.fromisoformat(f"{DAY}T11:38:00+01:00"),
        ),
        tenant=tenant,
    )  # fmt: skip
    nobody = make_message(
        FamilySmsReceipt(
            delivery_id=f"meal-{DAY:%Y%m%d}-s-nobody", kind="delivered", username="x",
            status="delivered", at=dt.datetime.fromisoformat(f"{DAY}T11:52:00+01:00"),
        ),
        tenant=tenant,
    )  # fmt: skip
    dispatch = event_dispatcher(routing_config)
    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        routing.save_senior(tenant, DISPATCHER, profile(*SENIORS[0]))
        with entrypoint_waiter(container, "handle_message_undelivered", timeout=20):
            dispatch("alerts", "message_undelivered", lost)
        with entrypoint_waiter(container, "handle_message_delivered", timeout=20):
            dispatch("alerts", "message_delivered", nobody)
        for _ in range(2):  # the broker delivers it again
            with entrypoint_waiter(container, "handle_message_delivered", timeout=20):
                dispatch("alerts", "message_delivered", delivered)
        history = routing.senior_history(tenant, DISPATCHER, "s-lefebvre")

    lines = [h["what"] for h in history if h["by"] == "provider"]
    assert lines == [
        f"{DAY}: SMS « le repas arrive » à famille-lefebvre : non remis (erreur 30003)",
        f"{DAY}: SMS « repas livré » à famille-lefebvre : remis",
    ]
