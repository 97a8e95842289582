"""Who may call what. Every route declares its roles with `require_roles(...)`, or is marked PUBLIC.

`record_roles(router)` copies each route's admitted roles into its `openapi_extra` (`x-roles`),
so they show in /openapi.json and /docs, and a test can enumerate every operation with its roles
from the schema; it refuses a route that declares neither, so an endpoint cannot be added open
by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.identity import Caller
from contracts.users import Role
from services.gateway.state import Gateway, get_gateway
from services.gateway.users import StoredUser

ROLES_KEY = "x-roles"
PUBLIC_KEY = "x-public"
# `openapi_extra=PUBLIC` on a route that anyone may call, logged in or not.
PUBLIC: dict[str, Any] = {PUBLIC_KEY: True}

bearer = HTTPBearer(auto_error=False, description="the access_token from POST /auth/login")


@dataclass(frozen=True)
class CurrentUser:
    user: StoredUser
    token: str

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def caller(self) -> Caller:
        """The identity passed on every RPC; the owning service decides what it reaches."""
        return Caller(username=self.user.username, role=self.user.role, communes=self.user.communes)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


class RoleGuard:
    """A dependency that admits a logged-in user whose role is one of `roles`."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def __call__(
        self,
        gateway: Annotated[Gateway, Depends(get_gateway)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> CurrentUser:
        if credentials is None:
            raise unauthorized("not logged in: send 'Authorization: Bearer <token>'")
        user = gateway.sessions.user_for(credentials.credentials)
        if user is None:
            raise unauthorized(
                "the token is invalid, has expired or was revoked (logout, password change, "
                "account disabled); log in again"
            )
        return self.admit(user, credentials.credentials)

    def admit(self, user: StoredUser, token: str) -> CurrentUser:
        if user.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"a {user.role.value} may not do this; allowed roles: {allowed}",
            )
        return CurrentUser(user=user, token=token)


def require_roles(*roles: Role) -> Any:
    """`user: Annotated[CurrentUser, require_roles(Role.ADMIN)]` in a route's signature."""
    if not roles:
        raise ValueError("require_roles needs at least one role; use PUBLIC for open routes")
    return Depends(RoleGuard(frozenset(roles)))


# The territory's people. A partner (a journey planner's account) is not one of them: it reaches
# only the interoperability searches (`routers/interop.py`) and its own session.
ANY_ROLE = tuple(role for role in Role if role is not Role.PARTNER)
# One's own session (log out, who am I, change one's password): every account.
SESSION_ROLES = tuple(Role)


def _guards(dependant: Dependant) -> list[RoleGuard]:
    found = [dependant.call] if isinstance(dependant.call, RoleGuard) else []
    for sub in dependant.dependencies:
        found.extend(_guards(sub))
    return found


def record_roles(router: APIRouter) -> APIRouter:
    """Copy each route's admitted roles into its openapi_extra; call before include_router.

    Raises if a route declares no roles and is not PUBLIC, or hides from the OpenAPI schema
    (the schema is where the roles are published and checked).
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue  # an included router, or Starlette's own /openapi.json, /docs, /redoc
        where = f"{sorted(route.methods or ())} {route.path or '/'}"
        if not route.include_in_schema:
            raise RuntimeError(f"{where} must appear in the OpenAPI schema, with its roles")
        guards = _guards(route.dependant)
        extra = dict(route.openapi_extra or {})
        if extra.get(PUBLIC_KEY):
            if guards:
                raise RuntimeError(f"{where} is marked PUBLIC but also declares roles")
            continue
        if len(guards) != 1:
            raise RuntimeError(
                f"{where} must declare its roles exactly once with require_roles(...) "
                f"(found {len(guards)}), or be marked PUBLIC"
            )
        extra[ROLES_KEY] = sorted(role.value for role in guards[0].roles)
        route.openapi_extra = extra
    return router


def operation_roles(operation: dict[str, Any]) -> frozenset[Role] | None:
    """The roles an OpenAPI operation admits, None when public; KeyError if it declares neither."""
    if operation.get(PUBLIC_KEY):
        return None
    return frozenset(Role(value) for value in operation[ROLES_KEY])
