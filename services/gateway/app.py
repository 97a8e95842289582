"""The gateway's FastAPI app: `uvicorn --factory services.gateway.app:create_app`.

Routes are plain `def` functions: FastAPI runs them in its thread pool, where blocking Redis and
RPC calls are fine (this process is not monkey-patched).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.common.events import describe_validation_error
from services.gateway.auth import LoginFailed, Sessions
from services.gateway.health import HealthChecker
from services.gateway.roles import record_roles
from services.gateway.routers import (
    auth,
    campaigns,
    contacts,
    deliveries,
    driver_pages,
    escalations,
    health,
    meals,
    meals_pages,
    rounds,
    routing,
    tenant,
    users,
    webhooks,
)
from services.gateway.rpc import RpcPool, ServiceFailed, ServiceUnavailable
from services.gateway.settings import GatewaySettings
from services.gateway.state import Gateway
from services.gateway.users import CommuneRuleBroken, DuplicateUser, UnknownUser, UserStore
from services.gateway.web import pages

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable, no spaces; fits the envelope


def build_gateway(settings: GatewaySettings) -> Gateway:
    client = redis.Redis.from_url(
        settings.redis_url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
    )
    # /health must not wait on the main client's longer timeouts.
    health_client = redis.Redis.from_url(
        settings.redis_url, decode_responses=True, socket_connect_timeout=0.8, socket_timeout=0.8
    )
    store = UserStore(client, settings.tenant)
    pings = RpcPool(settings.amqp_uri, settings.ping_timeout_s, workers=4, name="ping")
    return Gateway(
        settings=settings,
        redis=client,
        users=store,
        sessions=Sessions(client, store, settings.token_ttl_s),
        rpc=RpcPool(settings.amqp_uri, settings.rpc_timeout_s),
        pings=pings,
        health=HealthChecker(settings.amqp_uri, health_client, pings, settings.services),
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = GatewaySettings.from_env() if settings is None else settings
    gateway = build_gateway(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        gateway.close()

    app = FastAPI(
        title="Bocage gateway",
        summary="Users, roles and the HTTP face of the Bocage services.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    for module in (
        health,
        auth,
        users,
        tenant,
        deliveries,
        escalations,
        routing,
        contacts,
        campaigns,
        webhooks,
        pages,
        rounds,
        meals,
        meals_pages,
        driver_pages,
    ):
        app.include_router(record_roles(module.router))
    record_roles(app.router)  # any route added on the app itself
    _add_request_id(app)
    _add_error_handlers(app)
    return app


def _add_request_id(app: FastAPI) -> None:
    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get(REQUEST_ID_HEADER)
        if given is not None and not _REQUEST_ID.match(given):
            return JSONResponse(
                {"detail": f"{REQUEST_ID_HEADER} must be 1 to 128 printable characters, no spaces"},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        request.state.request_id = given or uuid.uuid4().hex
        response = await call_next(request)
        response.headers[REQUEST_ID_HEADER] = request.state.request_id
        return response


def _error(code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=code)


def _add_error_handlers(app: FastAPI) -> None:
    # Errors a user can cause become a 4xx with the reason; a missing backend becomes a 503.
    # Handlers are sync so Starlette runs them off the event loop; they do no I/O anyway.
    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input, which cannot be JSON when it is NaN or Inf;
        # say where and what instead.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in issue.get('loc', ()))}: {issue.get('msg', 'invalid')}"
            for issue in error.errors()
        )
        return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, problems)

    @app.exception_handler(LoginFailed)
    def login_failed(request: Request, error: LoginFailed) -> JSONResponse:
        return _error(status.HTTP_401_UNAUTHORIZED, "wrong username or password")

    @app.exception_handler(DuplicateUser)
    def duplicate(request: Request, error: DuplicateUser) -> JSONResponse:
        return _error(status.HTTP_409_CONFLICT, str(error))

    @app.exception_handler(UnknownUser)
    def unknown(request: Request, error: UnknownUser) -> JSONResponse:
        return _error(status.HTTP_404_NOT_FOUND, str(error))

    @app.exception_handler(CommuneRuleBroken)
    def communes(request: Request, error: CommuneRuleBroken) -> JSONResponse:
        return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))

    @app.exception_handler(ValidationError)
    def invalid(request: Request, error: ValidationError) -> JSONResponse:
        return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, describe_validation_error(error))

    @app.exception_handler(ServiceUnavailable)
    def unavailable(request: Request, error: ServiceUnavailable) -> JSONResponse:
        return _error(status.HTTP_503_SERVICE_UNAVAILABLE, f"{error}; try again shortly")

    @app.exception_handler(ServiceFailed)
    def failed(request: Request, error: ServiceFailed) -> JSONResponse:
        statuses = {
            "InvalidMessage": status.HTTP_422_UNPROCESSABLE_CONTENT,
            "NotFound": status.HTTP_404_NOT_FOUND,
            "Forbidden": status.HTTP_403_FORBIDDEN,
            "Conflict": status.HTTP_409_CONFLICT,
        }
        if error.exc_type in statuses:
            return _error(statuses[error.exc_type], error.message)
        return _error(status.HTTP_502_BAD_GATEWAY, f"the {error.service} service failed")

    @app.exception_handler(redis.ConnectionError)
    @app.exception_handler(redis.TimeoutError)
    def redis_down(request: Request, error: redis.RedisError) -> JSONResponse:
        return _error(status.HTTP_503_SERVICE_UNAVAILABLE, "the gateway's Redis is unreachable")
