"""POST/GET /2010-04-01/Accounts/{AccountSid}/Messages.json and GET .../Messages/{Sid}.json."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import errors, message_lifecycle
from .api_request import Form, first, outage_before_sending, read_api_request
from .numbers import Line, classify
from .resources import Message, new_sid
from .runtime import Sandbox
from .segments import count_segments

MAX_PAGE_SIZE = 1000


def _accept(sandbox: Sandbox, form: Form) -> Message:
    """The checks, in the order the real API makes them; a refused message costs no rate tokens."""
    to = first(form, "To")
    from_ = first(form, "From")
    service = first(form, "MessagingServiceSid")
    body = first(form, "Body")
    if not to:
        raise errors.missing(21604, "A 'To' phone number is required.")
    if not from_ and not service:
        raise errors.missing(21603, "A 'From' phone number is required.")
    if body is None and not form.get("MediaUrl") and not first(form, "ContentSid"):
        raise errors.missing(21602, "Message body is required.")
    line = classify(to)
    if line is Line.INVALID:
        raise errors.invalid_to(to)
    if line is Line.FIXED or to in sandbox.config.landlines:
        raise errors.not_mobile(to)
    if to in sandbox.store.opted_out:
        raise errors.unsubscribed()
    segments = count_segments(body or "").segments
    if not sandbox.bucket.try_take(segments):
        sandbox.rate_limited += 1
        raise errors.too_many_requests()
    return Message(
        sid=new_sid("SM"),
        account_sid=sandbox.config.account_sid,
        to=to,
        from_=from_,
        body=body or "",
        num_segments=segments,
        messaging_service_sid=service,
        status_callback=first(form, "StatusCallback"),
    )


async def create_message(request: Request) -> Response:
    try:
        sandbox, form = await read_api_request(request)
        hold_s = await outage_before_sending(sandbox)
        message = _accept(sandbox, form)
    except errors.TwilioError as error:
        return error.response()
    sandbox.store.add_message(message)
    if message.to in sandbox.config.slow_answer:
        hold_s = max(hold_s, sandbox.config.slow_answer_s)
    if message_lifecycle.settles_at_once(sandbox, message):
        if hold_s:
            await asyncio.sleep(hold_s)
        answer = JSONResponse(message.to_json(), status_code=201)  # as created: `queued`
        message_lifecycle.settle_now(sandbox, message)
        return answer

    async def deliver() -> None:
        await message_lifecycle.deliver(sandbox, message)

    sandbox.webhooks.submit(deliver)
    if hold_s:
        await asyncio.sleep(hold_s)
    return JSONResponse(message.to_json(), status_code=201)


async def fetch_message(request: Request) -> Response:
    try:
        sandbox, _ = await read_api_request(request)
    except errors.TwilioError as error:
        return error.response()
    message = sandbox.store.messages.get(request.path_params["sid"])
    if message is None:
        return errors.not_found(request.url.path).response()
    return JSONResponse(message.to_json())


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value else default
    except ValueError:
        return default


async def list_messages(request: Request) -> Response:
    """Newest first, like the real API; PageToken carries the offset of the next page."""
    try:
        sandbox, _ = await read_api_request(request)
    except errors.TwilioError as error:
        return error.response()
    query = request.query_params
    to, from_ = query.get("To"), query.get("From")
    page_size = _int(query.get("PageSize"), 50, 1, MAX_PAGE_SIZE)
    page = _int(query.get("Page"), 0, 0, 10**9)
    token = query.get("PageToken") or ""
    start = _int(token[4:], page * page_size, 0, 10**9) if token.startswith("PASM") else 0
    candidates = (
        sandbox.store.messages.values() if to is None else sandbox.store.messages_to.get(to, [])
    )
    selected = [m for m in reversed(candidates) if from_ is None or m.from_ == from_]
    records = selected[start : start + page_size]
    path = request.url.path

    def page_uri(number: int, offset: int | None) -> str:
        params: dict[str, Any] = {k: v for k, v in (("To", to), ("From", from_)) if v}
        params.update(PageSize=page_size, Page=number)
        if offset is not None:
            params["PageToken"] = f"PASM{offset}"
        return f"{path}?{urlencode(params)}"

    has_next = start + page_size < len(selected)
    body = {
        "end": start + len(records) - 1 if records else start,
        "first_page_uri": page_uri(0, None),
        "next_page_uri": page_uri(page + 1, start + page_size) if has_next else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": page_uri(page - 1, max(0, start - page_size)) if start else None,
        "start": start,
        "uri": f"{path}?{urlencode({'PageSize': page_size, 'Page': page})}",
        "messages": [m.to_json() for m in records],
    }
    return JSONResponse(body)
