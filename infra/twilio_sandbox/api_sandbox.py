"""The sandbox's own controls, for tests and demos: reset, inspect a virtual phone, make it text
our number, press keys during a call, and list the API requests received."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import inbound
from .api_request import sandbox_of
from .numbers import valid_e164
from .outage import MODES


async def _fields(request: Request) -> dict[str, str]:
    """Accept JSON or a url-encoded form, whichever a test finds handier."""
    body = await request.body()
    if not body:
        return {}
    if request.headers.get("content-type", "").startswith("application/json"):
        data = json.loads(body)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "message": message}, status_code=status)


async def reset(request: Request) -> Response:
    sandbox_of(request).reset()
    return JSONResponse({"reset": True})


async def phone(request: Request) -> Response:
    return JSONResponse(sandbox_of(request).store.phone_view(request.path_params["number"]))


async def phone_sends(request: Request) -> Response:
    sandbox = sandbox_of(request)
    number = request.path_params["number"]
    if not valid_e164(number):
        return _problem(400, f"{number} is not a valid E.164 phone number")
    try:
        fields = await _fields(request)
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "the body must be a url-encoded form or a JSON object")
    if "Body" not in fields:
        return _problem(400, "Body is required")
    to = fields.get("To") or sandbox.config.number
    message, keyword = inbound.receive(sandbox, number, to, fields["Body"])
    opted_out = number in sandbox.store.opted_out
    view = {**message.to_json(), "opt_out_type": keyword, "opted_out": opted_out}
    return JSONResponse(view, status_code=201)


async def press_digits(request: Request) -> Response:
    """Waits until the call has posted the digits to its Gather action, then says how it went."""
    sandbox = sandbox_of(request)
    sid = request.path_params["sid"]
    try:
        digits = (await _fields(request)).get("Digits", "")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "the body must be a url-encoded form or a JSON object")
    if not digits or not all(c in "0123456789*#" for c in digits):
        return _problem(400, "Digits is required: keys among 0-9, * and #")
    keypad = sandbox.keypads.get(sid)
    if keypad is None:
        known = sid in sandbox.store.calls
        return _problem(409 if known else 404, f"call {sid} is {'over' if known else 'unknown'}")
    answered: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    keypad.put_nowait((digits, answered))
    try:
        outcome = await asyncio.wait_for(answered, sandbox.config.gather_wait + 30)
    except TimeoutError:
        return _problem(409, f"call {sid} never reached a <Gather>")
    if outcome.get("ended"):
        return _problem(409, f"call {sid} ended before reaching a <Gather>")
    call = sandbox.store.calls[sid]
    return JSONResponse({**outcome, "digits": digits, "said": list(call.said)})


async def recorded_requests(request: Request) -> Response:
    return JSONResponse([asdict(r) for r in sandbox_of(request).store.requests])


async def stats(request: Request) -> Response:
    sandbox = sandbox_of(request)
    counts: dict[str, int] = {}
    for message in sandbox.store.messages.values():
        counts[message.status] = counts.get(message.status, 0) + 1
    # How many phones received 1, 2, ... messages: "exactly once" at a glance for 100k numbers.
    per_phone: dict[str, int] = {}
    for phone in sandbox.store.phones.values():
        received = sum(1 for item in phone.received if getattr(item, "body", None) is not None)
        if received:
            per_phone[str(received)] = per_phone.get(str(received), 0) + 1
    return JSONResponse(
        {
            "messages": len(sandbox.store.messages),
            "phones_by_messages_received": per_phone,
            "calls": len(sandbox.store.calls),
            "message_statuses": counts,
            "pending_jobs": sandbox.webhooks.pending,
            "rate_limited": sandbox.rate_limited,
        }
    )


def _outage_view(sandbox: Any) -> dict[str, Any]:
    now = time.monotonic()
    outage = sandbox.outage
    return {
        "mode": outage.current(now),
        "remaining_s": outage.remaining_s(now),
        "hold_s": outage.hold_s,
        "hits": outage.hits,
    }


async def get_outage(request: Request) -> Response:
    return JSONResponse(_outage_view(sandbox_of(request)))


async def set_outage(request: Request) -> Response:
    """`mode` (off, error, timeout, lost_answer), `seconds` (how long; none or 0: until switched
    off) and `hold_s` (how long a `timeout` or `lost_answer` request hangs, default 15)."""
    sandbox = sandbox_of(request)
    try:
        fields = await _fields(request)
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "the body must be a url-encoded form or a JSON object")
    mode = fields.get("mode", "")
    if mode not in MODES:
        return _problem(400, f"mode must be one of {', '.join(MODES)}")
    try:
        seconds = float(fields.get("seconds") or 0)
        hold_s = float(fields.get("hold_s") or 15)
    except ValueError:
        return _problem(400, "seconds and hold_s must be numbers")
    if not (0 <= seconds <= 3600 and 0 <= hold_s <= 300):
        return _problem(400, "seconds must be within 0-3600 and hold_s within 0-300")
    sandbox.outage.set(mode, time.monotonic(), seconds or None, hold_s)
    return JSONResponse(_outage_view(sandbox))
