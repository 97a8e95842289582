"""What every 2010-04-01 handler does first: parse the form cheaply, record the request (for the
OpenAPI conformance test), check basic auth and the account in the path."""

from __future__ import annotations

import asyncio
import base64
import hmac
import time
from functools import lru_cache
from urllib.parse import parse_qs

from starlette.requests import Request

from . import errors, outage
from .runtime import Sandbox
from .store import RecordedRequest

Form = dict[str, list[str]]


def sandbox_of(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def first(form: Form, name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


@lru_cache(maxsize=8)
def expected_authorization(account_sid: str, auth_token: str) -> str:
    credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
    return f"Basic {credentials}"


async def read_api_request(request: Request) -> tuple[Sandbox, Form]:
    """Parse with parse_qs rather than a multipart parser: the SDK only sends url-encoded forms,
    and this is the hot path of the 100,000-message benchmark."""
    sandbox = sandbox_of(request)
    body = await request.body()
    form = parse_qs(body.decode("utf-8"), keep_blank_values=True) if body else {}
    # The raw scope, not request.url: building a URL object costs more than the whole check.
    path, raw_query = request.scope["path"], request.scope["query_string"]
    query = parse_qs(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else {}
    sandbox.store.record(RecordedRequest(request.method, path, query, form))
    given = request.headers.get("authorization", "")
    config = sandbox.config
    if not hmac.compare_digest(
        given.encode(), expected_authorization(config.account_sid, config.auth_token).encode()
    ):
        raise errors.authenticate()
    if request.path_params.get("account_sid") != config.account_sid:
        raise errors.not_found(path)
    return sandbox, form


async def outage_before_sending(sandbox: Sandbox) -> float:
    """Apply the outage, if one is on, to a sending request: raise its error (after holding the
    request, for `timeout`), or return how long to hold the answer once sent (`lost_answer`)."""
    mode = sandbox.outage.current(time.monotonic())
    if mode == "off":
        return 0.0
    sandbox.outage.hits += 1
    if mode == "error":
        raise outage.server_error()
    if mode == "timeout":
        await asyncio.sleep(sandbox.outage.hold_s)
        raise outage.unavailable()
    return sandbox.outage.hold_s
