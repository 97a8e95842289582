"""Login, logout, who am I, changing one's password, and tickets for event streams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from contracts.users import (
    LoginRequest,
    PasswordChange,
    StreamTicket,
    StreamTicketRequest,
    TokenResponse,
    UserPublic,
)
from services.gateway.roles import ANY_ROLE, PUBLIC, SESSION_ROLES, CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep

router = APIRouter(prefix="/auth", tags=["auth"])
LoggedIn = Annotated[CurrentUser, require_roles(*ANY_ROLE)]
OwnSession = Annotated[CurrentUser, require_roles(*SESSION_ROLES)]


def client_address(request: Request) -> str:
    """The peer's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else "unknown"


@router.post(
    "/login",
    response_model=TokenResponse,
    responses={
        401: {"description": "wrong username or password"},
        403: {"description": "the account is disabled"},
        429: {
            "description": "too many failed logins for this username or address; see Retry-After"
        },
    },
    openapi_extra=PUBLIC,
)
def login(body: LoginRequest, request: Request, gateway: GatewayDep) -> TokenResponse:
    return gateway.sessions.login(body.username, body.password, client_address(request))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(user: OwnSession, gateway: GatewayDep) -> None:
    gateway.sessions.logout(user.token)


@router.get("/me", response_model=UserPublic)
def me(user: OwnSession) -> UserPublic:
    return user.user.public()


@router.post(
    "/password",
    response_model=TokenResponse,
    responses={
        403: {"description": "the current password is wrong"},
        429: {"description": "too many wrong passwords; see Retry-After"},
    },
)
def change_password(
    body: PasswordChange, request: Request, user: OwnSession, gateway: GatewayDep
) -> TokenResponse:
    """Change your own password. Every session of yours ends; the answer is a fresh token."""
    return gateway.sessions.change_password(
        user.user, body.current_password, body.new_password, client_address(request)
    )


@router.post("/stream-ticket", response_model=StreamTicket, status_code=status.HTTP_201_CREATED)
def stream_ticket(body: StreamTicketRequest, user: LoggedIn, gateway: GatewayDep) -> StreamTicket:
    """A ticket that opens the given event stream once, within 60 s, as `?ticket=`.

    For browsers' EventSource, which cannot send the Authorization header: the bearer token
    never goes in a URL (URLs land in logs and histories).
    """
    return gateway.sessions.stream_ticket(user.user, body.path)
