"""A senior's personal data on the routing service (issue 9, RGPD), real RabbitMQ, Redis and the
Kempen road graph: a dispatcher exports everything routing holds about a senior, then erases
them; the delivered meal stays only as an anonymous count on the kitchen sheet. The daily
retention forgets the vans' old positions and keeps recent ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import redis
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.common.dead_letter import event_handler
from services.routing import positions_purge
from services.routing.meals_store import MealsStore
from services.routing.service import RoutingService
from tests.service.test_meals_service import (
    DAY,
    DISPATCHER,
    DRIVER,
    FAMILY_A,
    KITCHEN,
    MENU,
    SENIORS,
    profile,
    routing_config,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.service
erased_events: list[dict[str, Any]] = []


class ErasureWatcher:
    name = "erasure_watcher"

    @event_handler("routing", "senior_erased")
    def handle_senior_erased(self, body: dict[str, Any]) -> None:
        erased_events.append(body)


def _refused(call: Any, *args: Any) -> RemoteError:
    with pytest.raises(RemoteError) as error:
        call(*args)
    return error.value


def _contents(client: redis.Redis, key: str) -> str:
    kind = client.type(key)
    if kind == "hash":
        return str(client.hgetall(key))
    if kind == "list":
        return str(client.lrange(key, 0, -1))
    if kind == "set":
        return str(client.smembers(key))
    if kind == "zset":
        return str(client.zrange(key, 0, -1))
    return str(client.get(key))


def test_export_then_erase_a_senior_and_forget_old_positions(
    runner_factory: Any,
    routing_config: dict[str, Any],  # noqa: F811
    tenant: str,
) -> None:
    # The service's own Redis database (see service_config).
    redis_client = redis.Redis.from_url(str(routing_config["REDIS_URL"]), decode_responses=True)
    erased_events.clear()
    runner = runner_factory(routing_config, RoutingService, ErasureWatcher)
    runner.start()
    watcher = next(c for c in runner.containers if c.service_name == "erasure_watcher")
    day = DAY.isoformat()
    with ServiceRpcProxy("routing", routing_config, timeout=60) as routing:
        for senior in SENIORS[:2]:
            routing.save_senior(tenant, DISPATCHER, profile(*senior))
        family = {"username": FAMILY_A["username"], "phone": "+33611111111"}
        routing.link_family(tenant, DISPATCHER, "s-lefebvre", family)
        routing.publish_menu(tenant, DISPATCHER, MENU)
        routing.place_order(tenant, DISPATCHER, "s-lefebvre", {"day": day, "choice_id": "colin"})
        routing.place_order(tenant, DISPATCHER, "s-dubois", {"day": day, "choice_id": "blanquette"})
        plan = routing.plan_meal_day(tenant, DISPATCHER, {
            "date": day, "kitchen": KITCHEN, "time_limit_s": 1,
            "vehicles": [{"id": "van-1", "capacity": 10, "shift_start": "10:00",
                          "shift_end": "14:00", "driver": DRIVER["username"]}],
        })  # fmt: skip
        round_id = plan["round_id"]
        routing.start_round(tenant, DRIVER, round_id, "van-1")
        routing.record_position(tenant, DRIVER, round_id,
                                {"vehicle_id": "van-1", "location": KITCHEN,
                                 "at": f"{day}T10:30:00+01:00"})  # fmt: skip
        # A family looks: the road to the senior the van heads to is kept beside the position.
        looked = [
            routing.track_delivery(tenant, DISPATCHER, s, day) for s in ("s-lefebvre", "s-dubois")
        ]
        delivery = f"meal-{DAY:%Y%m%d}-s-lefebvre"
        routing.mark_delivery(tenant, DRIVER, delivery,
                              {"outcome": "delivered", "at": f"{day}T11:05:00+01:00"})  # fmt: skip

        not_a_dispatcher = _refused(routing.export_senior, tenant, FAMILY_A, "s-lefebvre")
        exported = routing.export_senior(tenant, DISPATCHER, "s-lefebvre")
        with entrypoint_waiter(watcher, "handle_senior_erased", timeout=20):
            erased = routing.erase_senior(tenant, DISPATCHER, "s-lefebvre")
        audit = routing.senior_erasures(tenant, DISPATCHER)
        gone = [
            _refused(routing.get_senior, tenant, DISPATCHER, "s-lefebvre"),
            _refused(routing.export_senior, tenant, DISPATCHER, "s-lefebvre"),
            _refused(routing.erase_senior, tenant, DISPATCHER, "s-lefebvre"),
        ]
        family_sees = routing.list_seniors(tenant, FAMILY_A)
        sheet = routing.get_kitchen_sheet(tenant, DISPATCHER, day)
        day_plan = routing.get_meal_day(tenant, DISPATCHER, day)
        orders_left = routing.senior_orders(tenant, DISPATCHER, "s-dubois", day)

    assert not_a_dispatcher.exc_type == "Forbidden"
    assert exported["senior"]["last_name"] == "Lefebvre"
    assert exported["senior"]["emergency_contacts"][0]["phone"] == "+33612345678"
    assert exported["senior"]["families"][0]["username"] == FAMILY_A["username"]
    assert [o["choice_id"] for o in exported["orders"]] == ["colin"]
    assert exported["deliveries"][delivery]["outcome"] == "delivered"
    assert any("profile created" in e["what"] for e in exported["history"])
    assert erased == {"erased": True, "orders_removed": 0, "meals_kept_anonymous": 1}
    assert [e.exc_type for e in gone] == ["NotFound"] * 3
    # The alerts service hears of it (its welfare cases hold a copy); the audit keeps who and
    # when, not whom.
    assert erased_events[0]["payload"]["senior_id"] == "s-lefebvre"
    assert [a["by"] for a in audit] == [DISPATCHER["username"]]
    assert "lefebvre" not in str(audit).lower()
    assert family_sees == []
    # The delivered meal still counts on the kitchen sheet, under no one's name.
    assert sheet["total"] == 2
    assert {(line["choice_id"], line["count"]) for line in sheet["totals"]} == {
        ("colin", 1), ("blanquette", 1)}  # fmt: skip
    assert orders_left[0]["choice_id"] == "blanquette"
    # The day's plan keeps its two stops; the erased senior's is anonymous, at the kitchen.
    stops = {s["id"]: s for s in day_plan["vehicles"][0]["stops"]}
    assert len(stops) == 2 and f"meal-{DAY:%Y%m%d}-s-dubois" in stops
    (anonymous,) = [s for i, s in stops.items() if "anonyme-" in i]
    assert anonymous["recipient_name"] == "" and anonymous["location"] == KITCHEN
    # Nothing routing keeps (plans included) names the senior or their family any more (the
    # contacts' numbers and door notes are the same for every senior of this test).
    meals_keys = list(redis_client.scan_iter(match=f"routing:{tenant}:*"))
    assert any(":orders:" in k for k in meals_keys)
    dump = " ".join(_contents(redis_client, k) for k in meals_keys)
    for trace in ("s-lefebvre", "Lefebvre", "+33611111111", str(SENIORS[0][3][0])):
        assert trace not in dump

    # The road drawn to a door (it ends at an address) went with the senior.
    key = f"routing:{tenant}:tracking:{round_id}:van-1"
    assert [bool(t["path"]) for t in looked].count(True) == 1
    assert redis_client.hget(key, "path") is None

    # Retention of positions: kept within 30 days of the position, forgotten after.
    store = MealsStore(redis_client, "unused")
    at = dt.datetime.fromisoformat(f"{day}T10:30:00+01:00")
    positions_purge.apply_retention(store, at + dt.timedelta(days=29), 30)
    kept = redis_client.hget(key, "position")
    positions_purge.apply_retention(store, at + dt.timedelta(days=31), 30)
    assert kept is not None
    assert redis_client.hget(key, "position") is None
    assert redis_client.hget(key, "started") is not None
    redis_client.close()
