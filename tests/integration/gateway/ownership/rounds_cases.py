"""Rounds, containers and deliveries in the ownership matrix.

Planning is the intercommunality's (dispatchers, admins): one tenant per deployment. A driver
reports a failed delivery only for a stop of their own round: `driver-a` drives today's round,
`driver-b` drives none of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from contracts.users import Role
from tests.integration.gateway.ownership import Built, OwnedBy, TenantWide, World, register, user

DRIVER_A = user("driver-a", Role.DRIVER)
DRIVER_B = user("driver-b", Role.DRIVER)
PLANNER = user("dispatcher-rounds", Role.DISPATCHER)
KITCHEN = [51.2667, 4.7125]
HOMES = {"d1": [51.2983, 4.7331], "d2": [51.2260, 4.7720]}
PLANNING = "rounds are planned and re-planned by the intercommunality; one tenant per deployment"


def _todays_round_of_driver_a(world: World) -> Built:
    day = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    request = {
        "date": day.isoformat(),
        "kitchen": KITCHEN,
        "deliveries": [
            {"id": stop, "location": where, "window_start": "10:30", "window_end": "13:00",
             "recipient_name": f"Mme {stop}", "address": "Dorpstraat 1"}
            for stop, where in HOMES.items()
        ],
        "vehicles": [{"id": "van-1", "capacity": 10, "shift_start": "10:00",
                      "shift_end": "14:00", "driver": DRIVER_A}],
        "time_limit_s": 1,
    }  # fmt: skip
    planner = world.as_user(PLANNER)
    planned = world.client.post("/rounds/meals", json=request, headers=planner)
    assert planned.status_code == 201, planned.text
    round_id = planned.json()["round_id"]

    def snapshot() -> Any:
        plan = world.client.get(f"/rounds/{round_id}", headers=planner).json()
        escalations = world.client.get("/escalations", headers=planner).json()
        return plan, escalations

    body = {
        "commune": "59350",
        "recipient_name": "Mme d1",
        "reason": "no_answer",
        "attempted_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    return Built(params={"delivery_id": "d1"}, snapshot=snapshot, body=body)


register("GET", "/rounds/{round_id}", TenantWide(PLANNING))
register("POST", "/rounds/{round_id}/replan", TenantWide(PLANNING))
register(
    "POST",
    "/deliveries/{delivery_id}/failure",
    OwnedBy(
        DRIVER_A,
        DRIVER_B,
        _todays_round_of_driver_a,
    ),
)

CONTAINERS = "waste containers are the intercommunality's register; one tenant per deployment"
for method in ("GET", "PATCH", "DELETE"):
    register(method, "/containers/{container_id}", TenantWide(CONTAINERS))
