"""Welfare cases in the ownership matrix.

A case belongs to the senior's commune: its mayor reads it, another commune's mayor gets 404.
Taking a case, recording its outcome and closing it are the intercommunality's (dispatchers).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

from contracts.users import Role
from tests.integration.gateway.ownership import Built, OwnedBy, TenantWide, World, register, user

VILLENEUVE, LILLE = "59009", "59350"
MAYOR_OF_THE_SENIOR = user("mayor-welfare-villeneuve", Role.MAYOR, VILLENEUVE)
OTHER_MAYOR = user("mayor-welfare-lille", Role.MAYOR, LILLE)
DRIVER = user("driver-welfare", Role.DRIVER)
PLANNER = user("dispatcher-welfare", Role.DISPATCHER)
KITCHEN = [51.2667, 4.7125]
HOME = [51.2983, 4.7331]
ACTING = "taking, settling and closing a case is the dispatchers' work; one tenant per deployment"


def _unanswered_door_in_villeneuve(world: World) -> Built:
    day = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    request = {
        "date": day.isoformat(),
        "kitchen": KITCHEN,
        "deliveries": [{"id": "w1", "location": HOME, "window_start": "10:30",
                        "window_end": "13:00", "recipient_name": "Mme Leroy",
                        "commune": VILLENEUVE}],
        "vehicles": [{"id": "van-w", "capacity": 10, "shift_start": "10:00",
                      "shift_end": "14:00", "driver": DRIVER}],
        "time_limit_s": 1,
    }  # fmt: skip
    planner = world.as_user(PLANNER)
    planned = world.client.post("/rounds/meals", json=request, headers=planner)
    assert planned.status_code == 201, planned.text
    report = {
        "commune": VILLENEUVE,
        "recipient_name": "Mme Leroy",
        "reason": "no_answer",
        "attempted_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    reported = world.client.post(
        "/deliveries/w1/failure", json=report, headers=world.as_user(DRIVER)
    )
    assert reported.status_code == 202, reported.text
    owner = world.as_user(MAYOR_OF_THE_SENIOR)
    deadline = time.monotonic() + 30
    cases: list[Any] = []
    while time.monotonic() < deadline and not cases:
        cases = world.client.get("/welfare-cases", headers=owner).json()
        time.sleep(0.2)
    assert cases, "the unanswered door opened no welfare case within 30 s"
    case_id = cases[0]["case_id"]

    def snapshot() -> Any:
        seen = world.client.get(f"/welfare-cases/{case_id}", headers=planner).json()
        return {key: value for key, value in seen.items() if key not in {"now", "next_due_at"}}

    return Built(params={"case_id": case_id}, snapshot=snapshot)


register(
    "GET",
    "/welfare-cases/{case_id}",
    OwnedBy(MAYOR_OF_THE_SENIOR, OTHER_MAYOR, _unanswered_door_in_villeneuve),
)
for action in ("take", "outcome", "close"):
    register("POST", f"/welfare-cases/{{case_id}}/{action}", TenantWide(ACTING))
