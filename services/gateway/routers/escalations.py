"""Open escalations, from the alerts service, which shows a mayor only those of their communes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from contracts.escalations import Escalation
from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep
from services.gateway.rpc import expect

router = APIRouter(prefix="/escalations", tags=["escalations"])


@router.get("", response_model=list[Escalation])
def list_escalations(
    user: Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN, Role.MAYOR)],
    gateway: GatewayDep,
) -> list[Escalation]:
    caller = user.caller.model_dump(mode="json")
    raw = gateway.rpc.call("alerts", "list_escalations", gateway.settings.tenant, caller)
    return [expect("alerts", Escalation, item) for item in raw]
