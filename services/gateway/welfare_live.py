"""Open welfare cases, live, as Server-Sent Events for the dispatcher's screen.

Reads the alerts service's open cases (one short RPC, off the event loop) as soon as the event
feed hears a case opened, moved on (the next contact called, a receipt, a keypress, an outcome, a
flag for help: `welfare_check_updated`) or closed, and otherwise only every `live.FALLBACK_S`, as
a safety net; it sends a `cases` event (data: the open cases the caller reaches, as JSON) whenever
they change. The alerts service decides, with the caller's identity, which cases each stream
shows. A comment now and then keeps proxies from closing the connection; the stream ends on
disconnect or after an hour (the shared loop is `live.sse_stream`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from services.gateway import live
from services.gateway.fanout import Subscription
from services.gateway.live import Frame, sse_event, sse_response

EVENTS_DESCRIPTION = (
    "Server-Sent Events: `cases` (data: the open WelfareCase list, as JSON) at once and whenever "
    "a case changes. EventSource cannot send headers: such clients first "
    "`POST /auth/stream-ticket` with this path and open the stream with `?ticket=`, good once, "
    "within 60 s."
)

Fetch = Callable[[], list[dict[str, Any]]]


def _cases_frame(cases: list[dict[str, Any]]) -> Frame:
    return Frame(sse_event("cases", json.dumps(cases)))  # open cases never end the stream


def cases_response(request: Request, fetch: Fetch, wake: Subscription) -> StreamingResponse:
    try:
        first = fetch()  # an unreachable service answers 503 before the stream starts
    except BaseException:
        wake.close()
        raise
    return sse_response(
        request, fetch, first, _cases_frame, live.POLL_S, wake=wake, fallback_s=live.FALLBACK_S
    )
