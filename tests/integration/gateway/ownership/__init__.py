"""The ownership matrix's registry: one entry per OpenAPI operation whose path takes an object id.

Each domain registers its cases in its own module of this package (`alerts_cases`, `rounds_cases`,
`users_cases`; carpool, containers, seniors add theirs beside them). A case builds an object that
belongs to user A and names user B, of the same role but with other communes, rounds or
families: B must get 404 and the object must be unchanged afterwards. An operation admitted only
to tenant-wide roles registers as `TenantWide` with the reason. An id-taking operation with no
entry fails the matrix, so a new route cannot be forgotten.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from contracts.users import Role

Operation = tuple[str, str]  # (METHOD, OpenAPI path)


@dataclass
class World:
    """The test's gateway, and a logged-in session for each user the cases name."""

    client: TestClient
    sessions: Callable[[str], dict[str, str]]
    users: dict[str, tuple[Role, tuple[str, ...]]]

    def as_user(self, username: str) -> dict[str, str]:
        return self.sessions(username)


@dataclass(frozen=True)
class Built:
    """An object of the owner's: the path parameters naming it, the body to send, and how to
    read its state as the owner (or a tenant-wide user) sees it."""

    params: dict[str, str]
    snapshot: Callable[[], Any]
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class OwnedBy:
    """`intruder` (same role as `owner`, other communes/rounds/families) gets 404 on `build`'s
    object, which stays unchanged."""

    owner: str
    intruder: str
    build: Callable[[World], Built]


@dataclass(frozen=True)
class TenantWide:
    """Only tenant-wide roles (admin, dispatcher) are admitted: one tenant per deployment, so
    they reach every object of it. `reason` says why the route is theirs alone."""

    reason: str


Case = OwnedBy | TenantWide
REGISTRY: dict[Operation, Case] = {}
USERS: dict[str, tuple[Role, tuple[str, ...]]] = {}


def register(method: str, path: str, case: Case) -> None:
    key = (method.upper(), path)
    if key in REGISTRY:
        raise ValueError(f"{method} {path} is registered twice")
    REGISTRY[key] = case


def user(username: str, role: Role, *communes: str) -> str:
    """Declare a user the cases need (created by the matrix before it runs)."""
    if USERS.setdefault(username, (role, communes)) != (role, communes):
        raise ValueError(f"user {username} is declared twice, differently")
    return username


def load_all() -> dict[Operation, Case]:
    """Import every `*_cases` module of this package, so that each registers its cases (once:
    Python imports a module once)."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.endswith("_cases"):
            importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY
