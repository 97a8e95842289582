"""The gateway's FastAPI app: `uvicorn --factory services.gateway.app:create_app`.

Routes are plain `def` functions: FastAPI runs them in its thread pool, where blocking Redis and
RPC calls are fine (this process is not monkey-patched).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import redis
from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.common.events import describe_validation_error
from services.gateway import api_docs
from services.gateway.allow_header import AllowHeader
from services.gateway.auth import AccountDisabled, LoginFailed, Sessions, WrongPassword
from services.gateway.body_limit import UPLOAD_SLACK_BYTES, BodyLimit
from services.gateway.carpool_web import router as carpool_page
from services.gateway.event_feed import EventFeed
from services.gateway.fanout import Hub
from services.gateway.health import HealthChecker
from services.gateway.passwords import HashingBusy, Passwords
from services.gateway.roles import record_roles
from services.gateway.routers import (
    auth,
    campaigns,
    carpool,
    contacts,
    deliveries,
    deps,
    driver_pages,
    escalations,
    health,
    interop,
    meals,
    meals_pages,
    rounds,
    routing,
    tenant,
    users,
    webhooks,
    welfare,
)
from services.gateway.rpc import RpcPool, ServiceFailed, ServiceUnavailable
from services.gateway.settings import GatewaySettings
from services.gateway.state import Gateway
from services.gateway.throttle import InboundLimit, LoginThrottle, Throttled
from services.gateway.throttle_policy import PER_ADDRESS, PER_USERNAME
from services.gateway.users import CommuneRuleBroken, DuplicateUser, UnknownUser, UserStore
from services.gateway.web import pages

REQUEST_ID_HEADER = "X-Request-ID"
# Routes that read a file upload (capped by the router itself at MAX_UPLOAD_BYTES).
UPLOAD_PATHS = ("/contacts/import", "/feeds")
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
    throttle = LoginThrottle(
        client,
        settings.tenant,
        per_username=replace(
            PER_USERNAME, lock_after=settings.login_lock_after, lock_s=settings.login_lock_s
        ),
        per_address=replace(
            PER_ADDRESS, lock_after=settings.address_lock_after, lock_s=settings.login_lock_s
        ),
    )
    sessions = Sessions(
        client,
        store,
        ttl_s=settings.token_ttl_s,
        idle_s=settings.token_idle_s,
        passwords=Passwords(settings.hashing_concurrency, settings.hashing_wait_s),
        throttle=throttle,
    )
    hub = Hub()
    return Gateway(
        settings=settings,
        redis=client,
        users=store,
        sessions=sessions,
        inbound_limit=InboundLimit(client, settings.tenant, settings.inbound_sms_per_minute),
        rpc=RpcPool(settings.amqp_uri, settings.rpc_timeout_s, workers=settings.rpc_workers),
        solves=RpcPool(
            settings.amqp_uri, settings.rpc_timeout_s, workers=settings.solve_workers, name="solve"
        ),
        pings=pings,
        health=HealthChecker(settings.amqp_uri, health_client, pings, settings.services),
        hub=hub,
        feed=EventFeed(settings.amqp_uri, hub),
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = GatewaySettings.from_env() if settings is None else settings
    gateway = build_gateway(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.live_events:
            gateway.feed.start()  # live pages hear events from here on
        yield
        gateway.close()

    app = FastAPI(
        title="Bocage gateway",
        summary="Users, roles and the HTTP face of the Bocage services.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    app.include_router(record_roles(carpool_page))
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
        welfare,
        carpool,
        interop,
    ):
        app.include_router(record_roles(module.router))
    record_roles(app.router)  # any route added on the app itself
    # Inside the request-id middleware (added after it): a body refused mid-stream raises an
    # HTTPException straight into the route's body reading, with no task group in between, so
    # the app's handler answers 413 and the answer still carries its X-Request-ID.
    upload_cap = deps.MAX_UPLOAD_BYTES + UPLOAD_SLACK_BYTES
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        larger_by_path={path: upload_cap for path in UPLOAD_PATHS},
    )
    app.add_middleware(AllowHeader, openapi=lambda: app.openapi())
    _add_request_id(app)
    _add_error_handlers(app)
    api_docs.install(app)
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


def _error(code: int, detail: str, retry_after_s: int | None = None) -> JSONResponse:
    headers = None if retry_after_s is None else {"Retry-After": str(retry_after_s)}
    return JSONResponse({"detail": detail}, status_code=code, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    # Errors a user can cause become a 4xx with the reason; a missing backend becomes a 503.
    # Handlers are sync so Starlette runs them off the event loop; they do no I/O anyway.
    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input, which cannot be JSON when it is NaN or Inf;
        # say where and what instead, as a sentence (the documented 422 schema says so).
        return _error(
            status.HTTP_422_UNPROCESSABLE_CONTENT, describe_validation_error(error.errors())
        )

    @app.exception_handler(LoginFailed)
    def login_failed(request: Request, error: LoginFailed) -> JSONResponse:
        return _error(status.HTTP_401_UNAUTHORIZED, "wrong username or password")

    @app.exception_handler(AccountDisabled)
    def disabled(request: Request, error: AccountDisabled) -> JSONResponse:
        return _error(status.HTTP_403_FORBIDDEN, "this account is disabled; ask an administrator")

    @app.exception_handler(WrongPassword)
    def wrong_password(request: Request, error: WrongPassword) -> JSONResponse:
        return _error(status.HTTP_403_FORBIDDEN, "the current password is wrong")

    @app.exception_handler(Throttled)
    def throttled(request: Request, error: Throttled) -> JSONResponse:
        return _error(status.HTTP_429_TOO_MANY_REQUESTS, str(error), error.retry_after_s)

    @app.exception_handler(HashingBusy)
    def busy(request: Request, error: HashingBusy) -> JSONResponse:
        return _error(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "too many logins at this moment; try again in a few seconds",
            error.retry_after_s,
        )

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
