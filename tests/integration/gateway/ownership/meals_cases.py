"""Seniors, orders, tracking and the driver's meal round in the ownership matrix.

A family reaches only the seniors linked to it; a driver only the vans they drive. Registering
seniors, their pauses and their families is the intercommunality's (dispatchers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from contracts.users import Role
from tests.integration.gateway.conftest import ok
from tests.integration.gateway.ownership import Built, OwnedBy, TenantWide, World, register, user

FAMILY_A = user("famille-matrix-a", Role.FAMILY)
FAMILY_B = user("famille-matrix-b", Role.FAMILY)
DRIVER_A = user("driver-meals-a", Role.DRIVER)
DRIVER_B = user("driver-meals-b", Role.DRIVER)
PLANNER = user("dispatcher-meals", Role.DISPATCHER)
PARIS = ZoneInfo("Europe/Paris")
DAY = dt.datetime.now(PARIS).date() + dt.timedelta(days=10)
WEEK = DAY - dt.timedelta(days=DAY.weekday())
KITCHEN = [51.2667, 4.7125]
HOME = [51.2983, 4.7331]
REGISTER = "seniors, their pauses and families are registered by the intercommunality"


def _senior_with_an_order(world: World) -> str:
    planner = world.as_user(PLANNER)
    senior = {
        "id": "s-matrix", "first_name": "Jeanne", "last_name": "Lefebvre", "address": "rue Haute",
        "commune": "59350", "location": HOME, "weekdays": ["lun", "mar", "mer", "jeu", "ven",
        "sam", "dim"], "emergency_contacts": [{"name": "Paul", "phone": "+33612345678"}],
    }  # fmt: skip
    ok(world.client.put("/seniors/s-matrix", json=senior, headers=planner))
    link = {"phone": "+33611111111", "notify": True}
    ok(world.client.put(f"/seniors/s-matrix/families/{FAMILY_A}", json=link, headers=planner))
    menu = {"week": WEEK.isoformat(), "days": [{"day": DAY.isoformat(), "choices": [
        {"id": "blanquette", "name": "Blanquette de veau"}]}]}  # fmt: skip
    ok(world.client.put("/menus", json=menu, headers=planner))
    order = {"choice_id": "blanquette"}
    family = world.as_user(FAMILY_A)
    ok(world.client.put(f"/seniors/s-matrix/orders/{DAY}", json=order, headers=family))
    return "s-matrix"


def _family_as(world: World) -> Built:
    senior_id = _senior_with_an_order(world)
    planner = world.as_user(PLANNER)

    def snapshot() -> Any:
        history = ok(world.client.get(f"/seniors/{senior_id}/history", headers=planner))
        week = {"week": WEEK.isoformat()}
        orders = world.client.get(f"/seniors/{senior_id}/orders", params=week, headers=planner)
        return history, ok(orders)

    return Built(
        params={"senior_id": senior_id, "day": DAY.isoformat()},
        snapshot=snapshot,
        body={"choice_id": "blanquette"},
    )


def _van_of_driver_a(
    world: World, body: dict[str, Any] | None = None, names: tuple[str, ...] = ()
) -> Built:
    """`names`: the path parameters the operation takes (all by default)."""
    _senior_with_an_order(world)
    planner = world.as_user(PLANNER)
    day_plan = {
        "date": DAY.isoformat(), "kitchen": KITCHEN, "time_limit_s": 1,
        "vehicles": [{"id": "van-a", "capacity": 10, "shift_start": "10:00",
                      "shift_end": "14:00", "driver": DRIVER_A}],
    }  # fmt: skip
    plan = ok(world.client.post("/meals/day", json=day_plan, headers=planner), 201)
    round_id = plan["round_id"]
    stop = plan["vehicles"][0]["stops"][0]
    path = f"/meal-rounds/{round_id}/van-a"

    def snapshot() -> Any:
        seen = ok(world.client.get(path, headers=planner))
        return seen["started"], [(s["delivery_id"], s["status"]) for s in seen["stops"]]

    params = {"round_id": round_id, "vehicle_id": "van-a", "delivery_id": stop["id"]}
    return Built(
        params={k: v for k, v in params.items() if not names or k in names},
        snapshot=snapshot,
        body=body,
    )


FAMILY = OwnedBy(FAMILY_A, FAMILY_B, _family_as)
for method, path in (
    ("GET", "/seniors/{senior_id}"),
    ("GET", "/seniors/{senior_id}/history"),
    ("GET", "/seniors/{senior_id}/orders"),
    ("PUT", "/seniors/{senior_id}/orders/{day}"),
    ("DELETE", "/seniors/{senior_id}/orders/{day}"),
    ("GET", "/seniors/{senior_id}/tracking"),
    ("GET", "/seniors/{senior_id}/tracking/live"),
):
    register(method, path, FAMILY)
for method, path in (
    ("PUT", "/seniors/{senior_id}"),
    ("POST", "/seniors/{senior_id}/pauses"),
    ("PUT", "/seniors/{senior_id}/families/{username}"),
    ("DELETE", "/seniors/{senior_id}/families/{username}"),
):
    register(method, path, TenantWide(REGISTER))
RGPD = "exporting and erasing a senior's personal data is the controller's (the intercommunality)"
register("GET", "/seniors/{senior_id}/export", TenantWide(RGPD))
register("DELETE", "/seniors/{senior_id}", TenantWide(RGPD))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _van_with_a_position(world: World) -> Built:
    position = {"vehicle_id": "van-a", "location": HOME, "at": _now()}
    return _van_of_driver_a(world, position, ("round_id",))


def _van_with_a_mark(world: World) -> Built:
    return _van_of_driver_a(world, {"outcome": "delivered", "at": _now()}, ("delivery_id",))


VAN = OwnedBy(DRIVER_A, DRIVER_B, _van_of_driver_a)
register("GET", "/meal-rounds/{round_id}/{vehicle_id}", VAN)
register("POST", "/meal-rounds/{round_id}/{vehicle_id}/start", VAN)
register(
    "POST", "/meal-rounds/{round_id}/positions", OwnedBy(DRIVER_A, DRIVER_B, _van_with_a_position)
)
register(
    "POST", "/meal-deliveries/{delivery_id}/mark", OwnedBy(DRIVER_A, DRIVER_B, _van_with_a_mark)
)
