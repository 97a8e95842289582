"""Live campaign progress as Server-Sent Events, opened with a header or a one-time stream ticket.

`sse_stream` is the one streaming loop every live page uses (campaigns, welfare cases, family
tracking): each gives its fetch and how a snapshot is shown as a `Frame`. A stream that has a
`fanout.Subscription` fetches as soon as the event feed hears an event it follows (a campaign's
`campaign_progress_updated`, a new ETA, a welfare case opened or moved on), and otherwise only
every `FALLBACK_S`, as a safety net and for what no event announces; while the feed is not bound
to the broker it polls every `poll_s` as before. The alerts service publishes a campaign's
progress coalesced (a few events a second at most, however fast messages leave), so a stream
makes one short RPC per event it hears, run off the event loop. Every stream sends an event only
when something changed and a comment now and then so proxies keep the connection, and stops on
client disconnect, at `done`, or after an hour.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from contracts.gateway_alerts import CampaignDetail, LiveProgress
from contracts.users import Role
from services.gateway.fanout import Subscription
from services.gateway.roles import CurrentUser, RoleGuard, bearer, unauthorized
from services.gateway.rpc import ServiceFailed, ServiceUnavailable
from services.gateway.state import Gateway, get_gateway

POLL_S = 1.0
# With the event feed bound, a stream still looks every so often: for what no event announces
# (the van's position, stops done before this one) and as a safety net.
FALLBACK_S = 5.0
KEEPALIVE_S = 15.0
MAX_STREAM_S = 3600.0
# After the engine has handed every message to the provider, receipts still come in; wait this
# long for them before calling the campaign done anyway (the provider may never send some).
SETTLE_S = 120.0
# Statuses that a provider callback will still change.
AWAITING = frozenset({"pending", "sending", "accepted", "queued", "sent", "ringing", "in-progress"})

EVENTS_DESCRIPTION = (
    "Server-Sent Events. `progress` (data: LiveProgress JSON) whenever a count changes, "
    "then one `done` when every message has reached a final state. Browsers' EventSource cannot "
    "send headers: such clients first `POST /auth/stream-ticket` with this path and open the "
    "stream with `?ticket=`, good once, within 60 s. The bearer token never goes in the URL."
)


class StreamTicketGuard(RoleGuard):
    """RoleGuard that also admits a single-use `?ticket=` issued for this very path."""

    def __call__(  # type: ignore[override]
        self,
        request: Request,
        gateway: Annotated[Gateway, Depends(get_gateway)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ticket: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=128,
                description="a ticket from POST /auth/stream-ticket for this path; used once",
            ),
        ] = None,
    ) -> CurrentUser:
        if credentials is not None or ticket is None:
            return super().__call__(gateway, credentials)
        user = gateway.sessions.redeem_ticket(ticket, request.url.path)
        if user is None:
            raise unauthorized(
                "the ticket is unknown, used, expired or for another stream; "
                "ask POST /auth/stream-ticket for a new one"
            )
        return self.admit(user, token="")


def require_roles_or_ticket(*roles: Role) -> Any:
    return Depends(StreamTicketGuard(frozenset(roles)))


# The name the campaigns router uses.
require_roles_or_query_token = require_roles_or_ticket


@dataclass(frozen=True)
class Frame:
    """What one snapshot shows the client: its event, and whether the stream ends after it."""

    event: str
    done: bool = False
    closing: str = ""  # sent once, after `event`, when the stream ends


def sse_event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


async def sse_stream[T](
    request: Request,
    fetch: Callable[[], T],
    first: T,
    frame: Callable[[T], Frame],
    poll_s: float = POLL_S,
    wake: Subscription | None = None,
    fallback_s: float = FALLBACK_S,
) -> AsyncIterator[str]:
    """Call `fetch` (off the event loop) when `wake` fires, else every `fallback_s` (every
    `poll_s` without a live feed); send a snapshot's event only when it differs from the last
    one sent, a comment now and then so proxies keep the connection; stop when the frame says
    done, on client disconnect, on a service failure, or after an hour."""
    try:
        async for chunk in _stream(request, fetch, first, frame, poll_s, wake, fallback_s):
            yield chunk
    finally:
        if wake is not None:
            wake.close()


async def _stream[T](
    request: Request,
    fetch: Callable[[], T],
    first: T,
    frame: Callable[[T], Frame],
    poll_s: float,
    wake: Subscription | None,
    fallback_s: float,
) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"  # how long EventSource waits before reconnecting
    started = last_write = time.monotonic()
    last: str | None = None
    snapshot = first
    while True:
        now = time.monotonic()
        shown = frame(snapshot)
        if shown.event != last:
            yield shown.event
            last, last_write = shown.event, now
        elif now - last_write > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_write = now
        if shown.done:
            if shown.closing:
                yield shown.closing
            return
        if now - started > MAX_STREAM_S:
            return  # the client reconnects and starts a fresh stream
        if wake is None:
            await asyncio.sleep(poll_s)
        else:
            await wake.wait(fallback_s if wake.live else poll_s)
        if await request.is_disconnected():
            return
        try:
            snapshot = await run_in_threadpool(fetch)
        except ServiceUnavailable:
            continue  # a passing outage: keep the stream and try again
        except ServiceFailed as error:
            yield sse_event("error", json.dumps({"detail": error.message}))
            return


def sse_response[T](
    request: Request,
    fetch: Callable[[], T],
    first: T,
    frame: Callable[[T], Frame],
    poll_s: float = POLL_S,
    wake: Subscription | None = None,
    fallback_s: float = FALLBACK_S,
) -> StreamingResponse:
    return StreamingResponse(
        sse_stream(request, fetch, first, frame, poll_s, wake, fallback_s),
        media_type="text/event-stream",
        # no-transform and X-Accel-Buffering: proxies must pass each event on at once.
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )


def _settled(detail: CampaignDetail) -> bool:
    if detail.campaign.status in ("draft", "halted"):
        return False
    return all(p.done for p in detail.progress)


def _receipts_in(detail: CampaignDetail) -> bool:
    return not any(
        count and name in AWAITING for p in detail.progress for name, count in p.by_status.items()
    )


class _ProgressFrames:
    """Campaign progress frames; remembers since when the campaign looks settled (SETTLE_S)."""

    def __init__(self) -> None:
        self.settled_at: float | None = None

    def __call__(self, detail: CampaignDetail) -> Frame:
        now = time.monotonic()
        self.settled_at = (self.settled_at or now) if _settled(detail) else None
        done = self.settled_at is not None and (
            _receipts_in(detail) or now - self.settled_at > SETTLE_S
        )
        live = LiveProgress(
            campaign_id=detail.campaign.campaign_id,
            status=detail.campaign.status,
            progress=detail.progress,
            done=done,
        )
        data = live.model_dump_json()
        return Frame(sse_event("progress", data), done, sse_event("done", data))


def progress_response(
    request: Request,
    fetch: Callable[[], CampaignDetail],
    first: CampaignDetail,
    wake: Subscription | None = None,
) -> StreamingResponse:
    """`wake`: the campaign's subscription (its `campaign_progress_updated` events)."""
    return sse_response(
        request, fetch, first, _ProgressFrames(), poll_s=POLL_S, wake=wake, fallback_s=FALLBACK_S
    )
