"""Drivers (and dispatchers) report what happened at the door; routing owns the delivery and
decides who may report it (a driver: only a stop of their own round that day)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status

from contracts.deliveries import DeliveryFailureReport
from contracts.gateway import DeliveryFailureAccepted, DeliveryFailureSubmission
from contracts.users import Role
from services.common.events import make_message
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep
from services.gateway.rpc import expect

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


@router.post(
    "/{delivery_id}/failure",
    response_model=DeliveryFailureAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: {"description": "no such delivery on a round of that day that you drive"},
        422: {"description": "the commune is not this tenant's, or not the delivery's"},
        503: {"description": "the routing service is unreachable or did not answer"},
    },
)
def report_failure(
    delivery_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: DeliveryFailureSubmission,
    request: Request,
    user: Annotated[CurrentUser, require_roles(Role.DRIVER, Role.DISPATCHER)],
    gateway: GatewayDep,
) -> DeliveryFailureAccepted:
    communes = {commune.code for commune in gateway.users.get_tenant().communes}
    if body.commune not in communes:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"commune {body.commune!r} is not a commune of this tenant",
        )
    report = DeliveryFailureReport(delivery_id=delivery_id, **body.model_dump())
    correlation_id: str = request.state.request_id
    message = make_message(report, tenant=gateway.settings.tenant, correlation_id=correlation_id)
    # Routing decides whether this delivery is the caller's: a driver's own round that day.
    caller = user.caller.model_dump(mode="json")
    answer = gateway.rpc.call("routing", "report_delivery_failed", message, caller)
    return expect("routing", DeliveryFailureAccepted, {**answer, "correlation_id": correlation_id})
