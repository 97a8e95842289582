"""The tenant (the intercommunality) and its communes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, status

from contracts.gateway import TenantUpdate
from contracts.users import Role, Tenant
from services.gateway.roles import ANY_ROLE, CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep

router = APIRouter(prefix="/tenant", tags=["tenant"])


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


@router.get(
    "/communes.geojson",
    responses={404: {"description": "no boundaries stored yet (`bocage tenant communes`)"}},
)
def commune_boundaries(
    user: Annotated[CurrentUser, require_roles(*ANY_ROLE)], gateway: GatewayDep
) -> dict[str, Any]:
    """The tenant's commune boundaries as a GeoJSON FeatureCollection (properties `code`, `nom`;
    WGS84), for pages that draw the territory from our own data."""
    answer = gateway.rpc.call("alerts", "commune_boundaries", gateway.settings.tenant)
    if not isinstance(answer, dict) or answer.get("type") != "FeatureCollection":
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, "the alerts service answered no GeoJSON")
    return answer
