"""Welfare cases (a senior did not answer the door) over HTTP.

The alerts service owns the cases and decides who reaches one, from the caller: dispatchers and
admins act on every case; the mayor of the senior's commune reads it and its history; for anyone
else the case does not exist (404). These routes check roles and pass the caller on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter

from contracts.users import Role
from contracts.welfare import WelfareCase, WelfareCloseRequest, WelfareOutcomeRequest
from services.gateway import live, welfare_live
from services.gateway.event_feed import welfare_key
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep
from services.gateway.rpc import expect
from services.gateway.state import Gateway

router = APIRouter(prefix="/welfare-cases", tags=["welfare"])
Reader = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN, Role.MAYOR)]
Actor = Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)]
CaseId = Annotated[
    str, Path(min_length=1, max_length=160, description="e.g. welfare:d-42:2026-11-23")
]
_CASES = TypeAdapter(list[WelfareCase])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case, or not one you may see"},
    503: {"description": "the alerts service is unreachable or did not answer"},
}
ACTING: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "the case is closed, or taken by someone else"},
    422: {"description": "the outcome is not one of the four"},
}


def _call(gateway: Gateway, user: CurrentUser, method: str, *args: Any) -> Any:
    caller = user.caller.model_dump(mode="json")
    return gateway.rpc.call("alerts", method, gateway.settings.tenant, caller, *args)


@router.get("", response_model=list[WelfareCase], responses=NOT_FOUND)
def list_cases(
    user: Reader,
    gateway: GatewayDep,
    include_closed: Annotated[bool, Query(description="closed cases too, oldest first")] = False,
) -> list[WelfareCase]:
    """Open cases (all with `include_closed`), oldest first, with their history."""
    return _CASES.validate_python(_call(gateway, user, "list_welfare_cases", not include_closed))


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": welfare_live.EVENTS_DESCRIPTION},
        503: NOT_FOUND[503],
    },
)
def live_cases(
    request: Request,
    user: Annotated[
        CurrentUser, live.require_roles_or_query_token(Role.DISPATCHER, Role.ADMIN, Role.MAYOR)
    ],
    gateway: GatewayDep,
) -> StreamingResponse:
    """The open cases the caller reaches, pushed whenever one changes (declared before
    `/{case_id}`, which would otherwise take "live" for a case id)."""
    # Subscribed before the first read, so that no case opened in between goes unseen.
    wake = gateway.hub.subscribe([welfare_key(gateway.settings.tenant)])
    return welfare_live.cases_response(
        request, lambda: list(_call(gateway, user, "list_welfare_cases", True)), wake
    )


@router.get("/{case_id}", response_model=WelfareCase, responses=NOT_FOUND)
def get_case(case_id: CaseId, user: Reader, gateway: GatewayDep) -> WelfareCase:
    return expect("alerts", WelfareCase, _call(gateway, user, "get_welfare_case", case_id))


@router.post("/{case_id}/take", response_model=WelfareCase, responses=ACTING)
def take_case(case_id: CaseId, user: Actor, gateway: GatewayDep) -> WelfareCase:
    """ "Je m'en occupe": the dispatcher takes the case; the contacts are no longer called."""
    return expect("alerts", WelfareCase, _call(gateway, user, "take_welfare_case", case_id))


@router.post("/{case_id}/outcome", response_model=WelfareCase, responses=ACTING)
def record_outcome(
    case_id: CaseId, body: WelfareOutcomeRequest, user: Actor, gateway: GatewayDep
) -> WelfareCase:
    """hospitalised (hospitalisé), planned_absence (absent prévu), needs_help (besoin d'aide),
    found_well (retrouvé bien)."""
    answer = _call(gateway, user, "record_welfare_outcome", case_id, body.model_dump(mode="json"))
    return expect("alerts", WelfareCase, answer)


@router.post("/{case_id}/close", response_model=WelfareCase, responses=ACTING)
def close_case(
    case_id: CaseId,
    user: Actor,
    gateway: GatewayDep,
    body: Annotated[WelfareCloseRequest | None, Body()] = None,
) -> WelfareCase:
    request = (body or WelfareCloseRequest()).model_dump(mode="json")
    return expect(
        "alerts", WelfareCase, _call(gateway, user, "close_welfare_case", case_id, request)
    )
