"""Open welfare cases, live, as Server-Sent Events for the dispatcher's screen.

Polls the alerts service about once a second (one short RPC, off the event loop) and sends a
`cases` event (data: the open cases the caller reaches, as JSON) whenever they change: a new case,
the next contact called, a keypress, an outcome, a flag for help. A comment now and then keeps
proxies from closing the connection; the stream ends on disconnect or after an hour.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.gateway.rpc import ServiceFailed, ServiceUnavailable

POLL_S = 1.0
KEEPALIVE_S = 15.0
MAX_STREAM_S = 3600.0
EVENTS_DESCRIPTION = (
    "Server-Sent Events: `cases` (data: the open WelfareCase list, as JSON) at once and whenever "
    "a case changes. EventSource cannot send headers: such clients first "
    "`POST /auth/stream-ticket` with this path and open the stream with `?ticket=`, good once, "
    "within 60 s."
)

Fetch = Callable[[], list[dict[str, Any]]]


async def _stream(
    request: Request, fetch: Fetch, first: list[dict[str, Any]]
) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    started = last_write = time.monotonic()
    last: list[dict[str, Any]] | None = None
    cases = first
    while True:
        now = time.monotonic()
        if cases != last:
            yield f"event: cases\ndata: {json.dumps(cases)}\n\n"
            last, last_write = cases, now
        elif now - last_write > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_write = now
        if now - started > MAX_STREAM_S:
            return  # the client reconnects and starts a fresh stream
        await asyncio.sleep(POLL_S)
        if await request.is_disconnected():
            return
        try:
            cases = await run_in_threadpool(fetch)
        except ServiceUnavailable:
            continue  # a passing outage: keep the stream and try again
        except ServiceFailed as error:
            yield f"event: error\ndata: {json.dumps({'detail': error.message})}\n\n"
            return


def cases_response(request: Request, fetch: Fetch) -> StreamingResponse:
    first = fetch()  # an unreachable service answers 503 before the stream starts
    return StreamingResponse(
        _stream(request, fetch, first),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )
