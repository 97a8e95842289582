"""create_app(config): the ASGI application, built on Starlette (FastAPI's base) without
FastAPI's per-request validation, because the Messages POST is the benchmark's hot path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from . import api_calls, api_messages, api_sandbox, page
from .config import SandboxConfig
from .runtime import Sandbox

ACCOUNT = "/2010-04-01/Accounts/{account_sid}"


def create_app(config: SandboxConfig | None = None) -> Starlette:
    sandbox = Sandbox.build(config or SandboxConfig.from_env())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await sandbox.webhooks.start()
        try:
            yield
        finally:
            await sandbox.webhooks.stop()

    routes = [
        Route(f"{ACCOUNT}/Messages.json", api_messages.create_message, methods=["POST"]),
        Route(f"{ACCOUNT}/Messages.json", api_messages.list_messages, methods=["GET"]),
        Route(f"{ACCOUNT}/Messages/{{sid}}.json", api_messages.fetch_message, methods=["GET"]),
        Route(f"{ACCOUNT}/Calls.json", api_calls.create_call, methods=["POST"]),
        Route(f"{ACCOUNT}/Calls/{{sid}}.json", api_calls.fetch_call, methods=["GET"]),
        Route("/sandbox/", page.inbox_page, methods=["GET"]),
        Route("/sandbox/reset", api_sandbox.reset, methods=["POST"]),
        Route("/sandbox/stats", api_sandbox.stats, methods=["GET"]),
        Route("/sandbox/outage", api_sandbox.get_outage, methods=["GET"]),
        Route("/sandbox/outage", api_sandbox.set_outage, methods=["POST"]),
        Route("/sandbox/requests", api_sandbox.recorded_requests, methods=["GET"]),
        Route("/sandbox/phones/{number}", api_sandbox.phone, methods=["GET"]),
        Route("/sandbox/phones/{number}/send", api_sandbox.phone_sends, methods=["POST"]),
        Route("/sandbox/calls/{sid}/digits", api_sandbox.press_digits, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    return app
