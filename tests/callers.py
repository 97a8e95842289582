"""Caller identities as the gateway passes them on RPCs (`Caller.model_dump(mode="json")`)."""

from __future__ import annotations

from typing import Any

from contracts.identity import Caller
from contracts.users import Role


def caller(username: str, role: Role, *communes: str) -> dict[str, Any]:
    return Caller(username=username, role=role, communes=communes).model_dump(mode="json")


DISPATCHER = caller("dispatcher", Role.DISPATCHER)
MAYOR_BAILLEUL = caller("maire-bailleul", Role.MAYOR, "59043")

# The same identities as `Caller` objects, for the use cases called without RPC.
DISPATCHER_CALLER = Caller.model_validate(DISPATCHER)
MAYOR_BAILLEUL_CALLER = Caller.model_validate(MAYOR_BAILLEUL)
