"""Pure: whose delivery is it? A failed delivery may be reported only for a stop of a round of
that day, and by a driver only for a stop of their own vehicle (dispatchers and admins: any)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from contracts.identity import Caller
from contracts.users import Role

PARIS = ZoneInfo("Europe/Paris")


def day_of(moment: dt.datetime) -> str:
    """The local day (Europe/Paris) a moment belongs to, as YYYY-MM-DD."""
    return moment.astimezone(PARIS).date().isoformat()


def vehicles_for(caller: Caller, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The vehicles of a plan the caller reaches: all for the tenant-wide roles, a driver's own
    for a driver, none for anybody else."""
    if caller.tenant_wide:
        return list(plan["vehicles"])
    if caller.role is Role.DRIVER:
        return [v for v in plan["vehicles"] if v.get("driver") == caller.username]
    return []


def stop_of(caller: Caller, plans: list[dict[str, Any]], delivery_id: str) -> dict[str, Any] | None:
    """The meal stop `delivery_id` on a round the caller reaches among `plans`, or None."""
    for plan in plans:
        if plan["kind"] != "meals":
            continue
        for vehicle in vehicles_for(caller, plan):
            for stop in vehicle["stops"]:
                if stop["id"] == delivery_id and stop.get("kind", "delivery") == "delivery":
                    return dict(stop)
    return None
