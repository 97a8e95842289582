"""Login, logout, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from contracts.users import LoginRequest, TokenResponse, UserPublic
from services.gateway.roles import ANY_ROLE, PUBLIC, CurrentUser, require_roles
from services.gateway.state import Gateway, get_gateway

router = APIRouter(prefix="/auth", tags=["auth"])
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
LoggedIn = Annotated[CurrentUser, require_roles(*ANY_ROLE)]


@router.post(
    "/login",
    response_model=TokenResponse,
    responses={401: {"description": "wrong username or password"}},
    openapi_extra=PUBLIC,
)
def login(body: LoginRequest, gateway: GatewayDep) -> TokenResponse:
    return gateway.sessions.login(body.username, body.password)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(user: LoggedIn, gateway: GatewayDep) -> None:
    gateway.sessions.logout(user.token)


@router.get("/me", response_model=UserPublic)
def me(user: LoggedIn) -> UserPublic:
    return user.user.public()
