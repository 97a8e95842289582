"""What every routing entrypoint checks first: who asks, and that the input is a contract's.

Shared by the service and its mixins (the day of meals, seniors and orders, containers), so none
of them imports the service module back. Pure."""

from __future__ import annotations

from typing import Any

from contracts.identity import Caller
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import InvalidMessage, valid_input
from services.routing.jobs.placement import PlacementRefused
from services.routing.matrix import PointError

ROAD_ERRORS = (InvalidMessage, Conflict)
ROUND_ERRORS = (InvalidMessage, Conflict, NotFound, Forbidden)
PLAN_ERRORS = (PointError, PlacementRefused)  # a kitchen, depot or van off the road graph


checked = valid_input


def caller_of(raw: Any) -> Caller:
    return checked(Caller, raw)


def planner(raw: Any) -> Caller:
    """Planning and the containers are the dispatchers' (and admins'): the whole tenant's."""
    who = caller_of(raw)
    if not who.tenant_wide:
        raise Forbidden(f"{who.role.value}s do not plan rounds or manage containers")
    return who
