"""`GET /health` (public) and `GET /services` (admin, dispatcher)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts.gateway import ServiceStatus
from contracts.health import HealthReport
from contracts.users import Role
from services.gateway.roles import PUBLIC, CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "something is not ok"}},
    openapi_extra=PUBLIC,
)
def health(gateway: GatewayDep) -> JSONResponse:
    report = gateway.health.check()
    return JSONResponse(
        report.model_dump(mode="json"), status_code=200 if report.status == "ok" else 503
    )


@router.get("/services", response_model=list[ServiceStatus])
def services(
    gateway: GatewayDep,
    user: Annotated[CurrentUser, require_roles(Role.ADMIN, Role.DISPATCHER)],
) -> list[ServiceStatus]:
    return gateway.health.service_statuses()
