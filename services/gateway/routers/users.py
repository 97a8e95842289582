"""Users of the tenant (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status

from contracts.users import USERNAME_PATTERN, Role, UserCreate, UserPublic
from services.gateway.auth import create_user
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.state import Gateway, get_gateway

router = APIRouter(prefix="/users", tags=["users"])
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
Admin = Annotated[CurrentUser, require_roles(Role.ADMIN)]


@router.get("", response_model=list[UserPublic])
def list_users(user: Admin, gateway: GatewayDep) -> list[UserPublic]:
    return [stored.public() for stored in gateway.users.list_users()]


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the username is taken"}},
)
def add_user(body: UserCreate, user: Admin, gateway: GatewayDep) -> UserPublic:
    return create_user(gateway.users, body).public()


@router.delete("/{username}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(
    username: Annotated[str, Path(pattern=USERNAME_PATTERN)], user: Admin, gateway: GatewayDep
) -> None:
    if username == user.user.username:
        # An admin removing themself could leave the tenant with no admin at all.
        raise HTTPException(status.HTTP_409_CONFLICT, detail="you cannot delete your own account")
    gateway.users.delete_user(username)
