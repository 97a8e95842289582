"""POST /2010-04-01/Accounts/{AccountSid}/Calls.json and GET .../Calls/{Sid}.json."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import call_lifecycle, errors, twiml
from .api_request import Form, first, outage_before_sending, read_api_request
from .numbers import valid_e164
from .resources import Call, new_sid
from .runtime import Sandbox

KNOWN_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


def _accept(sandbox: Sandbox, form: Form) -> Call:
    to, from_ = first(form, "To"), first(form, "From")
    document, url = first(form, "Twiml"), first(form, "Url")
    if not to:
        raise errors.missing(21201, "No 'To' number is specified")
    if not from_:
        raise errors.missing(21213, "No 'From' number is specified")
    if not document and not url and not first(form, "ApplicationSid"):
        raise errors.missing(21205, "Either a 'Url', 'Twiml' or 'ApplicationSid' is required")
    if not valid_e164(to):
        raise errors.invalid_to(to)
    if document:
        try:
            twiml.parse(document)
        except twiml.TwimlError as exc:
            raise errors.TwilioError(400, 12100, f"Document parse failure: {exc}") from exc
    asked = [e for value in form.get("StatusCallbackEvent", []) for e in value.split()]
    events = tuple(e for e in asked if e in KNOWN_EVENTS)
    return Call(
        sid=new_sid("CA"),
        account_sid=sandbox.config.account_sid,
        to=to,
        from_=from_,
        twiml=document,
        url=None if document else url,  # Twiml wins when both are given, as documented
        method=(first(form, "Method") or "POST").upper(),
        status_callback=first(form, "StatusCallback"),
        status_callback_events=events or ("completed",),
    )


async def create_call(request: Request) -> Response:
    try:
        sandbox, form = await read_api_request(request)
        hold_s = await outage_before_sending(sandbox)
        call = _accept(sandbox, form)
    except errors.TwilioError as error:
        return error.response()
    sandbox.store.add_call(call)
    # The keypad exists from the start, so a keypress sent while it rings is not lost.
    sandbox.keypads.setdefault(call.sid, asyncio.Queue())
    sandbox.webhooks.spawn(call_lifecycle.run(sandbox, call))
    if hold_s:
        await asyncio.sleep(hold_s)
    return JSONResponse(call.to_json(), status_code=201)


async def fetch_call(request: Request) -> Response:
    try:
        sandbox, _ = await read_api_request(request)
    except errors.TwilioError as error:
        return error.response()
    call = sandbox.store.calls.get(request.path_params["sid"])
    if call is None:
        return errors.not_found(request.url.path).response()
    return JSONResponse(call.to_json())
