"""Users of the tenant (admin only): create, list, delete, reset a password, disable, enable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status

from contracts.users import USERNAME_PATTERN, PasswordReset, Role, UserCreate, UserPublic
from services.gateway.auth import create_user
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.routers.deps import GatewayDep

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[CurrentUser, require_roles(Role.ADMIN)]
Username = Annotated[str, Path(pattern=USERNAME_PATTERN)]
UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "no such user"}}


def _not_yourself(user: CurrentUser, username: str, what: str) -> None:
    # An admin locking themself out could leave the tenant with no admin at all.
    if username == user.user.username:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"you cannot {what} your own account")


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
    return create_user(gateway.users, body, gateway.sessions.passwords).public()


@router.delete(
    "/{username}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNKNOWN, 409: {"description": "you cannot delete yourself"}},
)
def delete_user(username: Username, user: Admin, gateway: GatewayDep) -> None:
    _not_yourself(user, username, "delete")
    gateway.users.delete_user(username)


@router.post("/{username}/password", response_model=UserPublic, responses=UNKNOWN)
def reset_password(
    username: Username, body: PasswordReset, user: Admin, gateway: GatewayDep
) -> UserPublic:
    """Set a new password for a user (who forgot theirs); every session of theirs ends."""
    return gateway.sessions.reset_password(username, body.new_password).public()


@router.post(
    "/{username}/disable",
    response_model=UserPublic,
    responses={**UNKNOWN, 409: {"description": "you cannot disable yourself"}},
)
def disable_user(username: Username, user: Admin, gateway: GatewayDep) -> UserPublic:
    """The user can no longer log in, and every session of theirs ends at once."""
    _not_yourself(user, username, "disable")
    return gateway.users.set_disabled(username, True).public()


@router.post("/{username}/enable", response_model=UserPublic, responses=UNKNOWN)
def enable_user(username: Username, user: Admin, gateway: GatewayDep) -> UserPublic:
    """The user may log in again (their old sessions stay ended)."""
    return gateway.users.set_disabled(username, False).public()
