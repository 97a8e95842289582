"""The tenant (the intercommunality) and its communes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from contracts.gateway import TenantUpdate
from contracts.users import Role, Tenant
from services.gateway.roles import ANY_ROLE, CurrentUser, require_roles
from services.gateway.state import Gateway, get_gateway

router = APIRouter(prefix="/tenant", tags=["tenant"])
GatewayDep = Annotated[Gateway, Depends(get_gateway)]


@router.get("", response_model=Tenant)
def get_tenant(
    user: Annotated[CurrentUser, require_roles(*ANY_ROLE)], gateway: GatewayDep
) -> Tenant:
    return gateway.users.get_tenant()


@router.put("", response_model=Tenant)
def put_tenant(
    body: TenantUpdate,
    user: Annotated[CurrentUser, require_roles(Role.ADMIN)],
    gateway: GatewayDep,
) -> Tenant:
    return gateway.users.set_tenant(body)
