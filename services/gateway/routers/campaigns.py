"""Alert campaigns: preview, draft, send, follow up, cancel, follow live, report; and the audit.

The alerts service decides who reaches which campaign: the gateway passes the caller's identity
(`user.caller`) on every call. A campaign that is not the caller's is 404, like one that does
not exist.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from contracts.alerts import Campaign, CampaignPreview, CampaignRequest
from contracts.feeds import FeedIngestRecord
from contracts.gateway_alerts import (
    AuditEntry,
    CampaignDetail,
    CancelResult,
    FeedIngestResult,
    FeedKind,
    FollowUpRequest,
)
from contracts.users import Role
from services.gateway import live
from services.gateway.event_feed import campaign_key
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import (
    ALERT_ROLES,
    AlertUser,
    GatewayDep,
    _call,
    call_as,
    uploaded_file,
)
from services.gateway.rpc import expect
from services.gateway.state import Gateway

router = APIRouter(tags=["campaigns"])
CampaignId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "the target covers a commune that is not yours (named)"},
    404: {"description": "no such campaign among yours"},
    409: {"description": "not possible in the campaign's present status"},
    503: {"description": "the alerts service is unreachable or did not answer"},
}


def communes_map(gateway: Gateway, user: CurrentUser) -> dict[str, str]:
    """The tenant's communes by code, narrowed to those the user reaches (the service narrows
    again: it decides)."""
    caller = user.caller
    return {
        c.code: c.name
        for c in gateway.users.get_tenant().communes
        if caller.reaches_commune(c.code)
    }


@router.post("/campaigns/preview", response_model=CampaignPreview, responses=ERRORS)
def preview_campaign(
    body: CampaignRequest, user: AlertUser, gateway: GatewayDep
) -> CampaignPreview:
    request = body.model_dump(mode="json")
    answer = call_as(gateway, user, "preview_campaign", request)
    return expect("alerts", CampaignPreview, answer)


@router.post(
    "/campaigns", response_model=Campaign, status_code=status.HTTP_201_CREATED, responses=ERRORS
)
def create_campaign(body: CampaignRequest, user: AlertUser, gateway: GatewayDep) -> Campaign:
    request = body.model_dump(mode="json")
    answer = call_as(gateway, user, "create_campaign", request)
    return expect("alerts", Campaign, answer)


@router.get("/campaigns", response_model=list[Campaign], responses=ERRORS)
def list_campaigns(user: AlertUser, gateway: GatewayDep) -> list[Campaign]:
    """Newest first; drafts proposed by a vigilance feed carry their `source`."""
    raw = call_as(gateway, user, "list_campaigns")
    campaigns = [expect("alerts", Campaign, item) for item in raw]
    return sorted(campaigns, key=lambda c: c.created_at, reverse=True)


@router.get("/campaigns/{campaign_id}", response_model=CampaignDetail, responses=ERRORS)
def get_campaign(campaign_id: CampaignId, user: AlertUser, gateway: GatewayDep) -> CampaignDetail:
    answer = call_as(gateway, user, "get_campaign", campaign_id)
    return expect("alerts", CampaignDetail, answer)


@router.post(
    "/campaigns/{campaign_id}/send",
    response_model=Campaign,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERRORS,
)
def send_campaign(campaign_id: CampaignId, user: AlertUser, gateway: GatewayDep) -> Campaign:
    """Sending twice is asking once: the recipients are frozen at the first send."""
    answer = call_as(gateway, user, "send_campaign", campaign_id)
    return expect("alerts", Campaign, answer)


def _follow_up(
    gateway: Gateway, user: CurrentUser, campaign_id: str, text: str, kind: str
) -> Campaign:
    answer = call_as(gateway, user, "send_follow_up", campaign_id, text, kind)
    return expect("alerts", Campaign, answer)


@router.post(
    "/campaigns/{campaign_id}/update",
    response_model=Campaign,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERRORS,
)
def send_update(
    campaign_id: CampaignId, body: FollowUpRequest, user: AlertUser, gateway: GatewayDep
) -> Campaign:
    """An update, to exactly the people the alert went to."""
    return _follow_up(gateway, user, campaign_id, body.text, "update")


@router.post(
    "/campaigns/{campaign_id}/end",
    response_model=Campaign,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERRORS,
)
def send_end(
    campaign_id: CampaignId, body: FollowUpRequest, user: AlertUser, gateway: GatewayDep
) -> Campaign:
    """The end-of-alert message, to exactly the people the alert went to."""
    return _follow_up(gateway, user, campaign_id, body.text, "end")


@router.post("/campaigns/{campaign_id}/cancel", response_model=CancelResult, responses=ERRORS)
def cancel_campaign(campaign_id: CampaignId, user: AlertUser, gateway: GatewayDep) -> CancelResult:
    """Stops what has not left yet; what the provider already accepted cannot be recalled."""
    answer = call_as(gateway, user, "cancel_campaign", campaign_id)
    return expect("alerts", CancelResult, answer)


@router.get(
    "/campaigns/{campaign_id}/report.csv",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}, "description": "one row per send"}},
)
def campaign_report(campaign_id: CampaignId, user: AlertUser, gateway: GatewayDep) -> Response:
    csv_text = call_as(gateway, user, "campaign_report", campaign_id)
    return Response(
        str(csv_text),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{campaign_id}.csv"'},
    )


@router.get(
    "/campaigns/{campaign_id}/events",
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {"content": {"text/event-stream": {}}, "description": live.EVENTS_DESCRIPTION},
    },
)
def campaign_events(
    campaign_id: CampaignId,
    request: Request,
    user: Annotated[CurrentUser, live.require_roles_or_query_token(*ALERT_ROLES)],
    gateway: GatewayDep,
) -> StreamingResponse:
    def fetch() -> CampaignDetail:
        answer = call_as(gateway, user, "get_campaign", campaign_id)
        return expect("alerts", CampaignDetail, answer)

    # Subscribed before the first read, so that no progress published in between goes unseen.
    wake = gateway.hub.subscribe([campaign_key(gateway.settings.tenant, campaign_id)])
    try:
        # The first read happens before the stream opens: 403/404/503 arrive as plain statuses.
        first = fetch()
    except BaseException:
        wake.close()
        raise
    return live.progress_response(request, fetch, first, wake)


@router.get("/audit", response_model=list[AuditEntry], responses=ERRORS)
def audit_trail(
    user: AlertUser,
    gateway: GatewayDep,
    count: Annotated[int, Query(ge=1, le=1000, description="newest entries to read")] = 200,
) -> list[AuditEntry]:
    """Newest first. A mayor sees what concerns their communes (whoever acted: themselves, a
    dispatcher, the system, or someone refused on one of their objects); nothing else."""
    return [
        expect("alerts", AuditEntry, item) for item in call_as(gateway, user, "audit_trail", count)
    ]


@router.post(
    "/feeds",
    response_model=FeedIngestResult,
    responses={
        **ERRORS,
        422: {"description": "the feed cannot be read (the reason is given)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the feed document as published (CAP XML, Météo-France or "
            "Vigicrues JSON)",
            "content": {"application/xml": {}, "application/json": {}, "text/plain": {}},
        }
    },
)
def ingest_feed(
    kind: Annotated[FeedKind, Query(description="which reader to use")],
    content: Annotated[bytes, Depends(uploaded_file)],
    user: Annotated[CurrentUser, require_roles(Role.DISPATCHER, Role.ADMIN)],
    gateway: GatewayDep,
) -> FeedIngestResult:
    """Drafts campaigns from a vigilance feed for the concerned communes; never sends them.

    The intercommunality's job, not a mayor's: the service remembers the levels it saw per
    tenant, so a document read for one commune would be "already seen" for the others.
    """
    encoded = base64.b64encode(content).decode("ascii")
    answer = _call(
        gateway, "ingest_feed", kind, encoded, communes_map(gateway, user), user.user.username
    )
    return expect("alerts", FeedIngestResult, answer)


@router.get("/feeds/outcomes", response_model=list[FeedIngestRecord], responses=ERRORS)
def feed_outcomes(
    user: AlertUser,
    gateway: GatewayDep,
    count: Annotated[int, Query(ge=1, le=20, description="latest ingests to read")] = 5,
) -> list[FeedIngestRecord]:
    """The latest feed documents read, newest first, with what became of each alert: drafted
    (for which communes), no change, not concerning the territory (and why), or rejected. A
    mayor sees their own communes only."""
    answer = _call(gateway, "feed_outcomes", user.caller.model_dump(mode="json"), count)
    return [expect("alerts", FeedIngestRecord, item) for item in answer]
