"""Open escalations, from the alerts service; a mayor sees only those of their communes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from contracts.escalations import Escalation
from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.rpc import expect
from services.gateway.state import Gateway, get_gateway

router = APIRouter(prefix="/escalations", tags=["escalations"])
GatewayDep = Annotated[Gateway, Depends(get_gateway)]


@router.get("", response_model=list[Escalation])
def list_escalations(
    user: Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN, Role.MAYOR)],
    gateway: GatewayDep,
) -> list[Escalation]:
    raw = gateway.rpc.call("alerts", "list_escalations", gateway.settings.tenant)
    escalations = [expect("alerts", Escalation, item) for item in raw]
    if user.role is Role.MAYOR:
        escalations = [e for e in escalations if e.commune in user.user.communes]
    return escalations
