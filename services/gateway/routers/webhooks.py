"""Twilio's webhooks: public routes whose authentication is the `X-Twilio-Signature`.

Twilio signs the exact URL it called, query string included, with the POSTed form. Behind a
proxy the gateway does not see that URL, so `BOCAGE_PUBLIC_URL` (the base the provider is given)
rebuilds it; without it, the request's own base URL is used. The alerts service checks the
signature and applies the callback.

Each is forwarded to the alerts service by RPC. Status callbacks come thousands a second during
a big campaign, more than an RPC each can take: a deployment gives them the alerts service's
status receiver (`services/alerts/status_receiver.py`, `ALERTS_STATUS_BASE_URL`), which answers
this same route's contract; this route stays for a deployment without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from starlette.concurrency import run_in_threadpool

from services.gateway.roles import PUBLIC
from services.gateway.routers.deps import GatewayDep
from services.gateway.state import Gateway

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_FORM_BYTES = 64_000
FORM_BODY: dict[str, Any] = {
    **PUBLIC,
    # Read by the route itself (the raw form is what is signed), so declared here.
    "parameters": [
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
            "description": "Twilio's signature of the URL and the form",
        }
    ],
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": f"no {SIGNATURE_HEADER} header"},
    403: {"description": "the signature does not match: not from our provider account"},
    415: {"description": "not a form post"},
}


@dataclass(frozen=True)
class TwilioRequest:
    url: str
    params: dict[str, str]
    signature: str


def public_url(request: Request) -> str:
    """The URL the provider called: the configured public base, this path, the raw query."""
    base = os.environ.get("BOCAGE_PUBLIC_URL") or str(request.base_url)
    query = request.scope.get("query_string", b"").decode("latin-1")
    url = base.rstrip("/") + request.url.path
    return f"{url}?{query}" if query else url


async def twilio_request(request: Request) -> TwilioRequest:
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"no {SIGNATURE_HEADER} header")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="expected application/x-www-form-urlencoded",
        )
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="the form is too large")
    # Twilio sends each field once; blank values are signed too, so they are kept.
    params = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return TwilioRequest(url=public_url(request), params=params, signature=signature)


Signed = Annotated[TwilioRequest, Depends(twilio_request)]
Kind = Literal["status", "gather", "inbound"]


async def _forward(gateway: Gateway, kind: Kind, call: TwilioRequest) -> Any:
    # A forged request comes back as the service's Forbidden: 403 by the app's error handler.
    return await run_in_threadpool(
        gateway.rpc.call,
        "alerts",
        "twilio_webhook",
        kind,
        call.url,
        call.params,
        call.signature,
        gateway.settings.tenant,
    )


@router.post(
    "/status",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=RESPONSES,
    openapi_extra=FORM_BODY,
)
async def status_callback(call: Signed, gateway: GatewayDep) -> Response:
    """A message's or call's new status, for the recipient named in the query."""
    await _forward(gateway, "status", call)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/gather",
    response_class=Response,
    responses={**RESPONSES, 200: {"content": {"text/xml": {}}, "description": "TwiML"}},
    openapi_extra=FORM_BODY,
)
async def gather(call: Signed, gateway: GatewayDep) -> Response:
    """A key pressed during an alert call; answers the TwiML the caller hears next."""
    answer = await _forward(gateway, "gather", call)
    return Response(str(answer["twiml"]), media_type="text/xml")


@router.post(
    "/inbound",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **RESPONSES,
        429: {"description": "too many messages from this number this minute; see Retry-After"},
    },
    openapi_extra=FORM_BODY,
)
async def inbound(call: Signed, gateway: GatewayDep) -> Response:
    """An SMS a resident sent to our number: STOP / ARRET opt out, START opts back in; any
    other text is passed on to the services (`alerts.sms_received`: carpool by SMS).

    Limited per sending number (`BOCAGE_INBOUND_SMS_PER_MINUTE`), before the alerts service is
    asked anything: one number cannot flood it.
    """
    await run_in_threadpool(gateway.inbound_limit.admit, call.params.get("From", ""))
    await _forward(gateway, "inbound", call)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
