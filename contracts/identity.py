"""Who asks: the caller's identity, passed by the gateway as the first argument after the tenant
on every RPC that reads or changes an owned object.

The service that owns the object decides what the caller reaches (DESIGN.md, "Rules of the
rooms"). An absent scope never means "everything": only the tenant-wide roles (admin, dispatcher)
reach every commune, and a mayor with no commune reaches none.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from contracts.base import Contract
from contracts.users import Role

TENANT_WIDE_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})


class Caller(Contract):
    username: str = Field(min_length=1, max_length=64)
    role: Role
    communes: tuple[str, ...] = Field(
        default=(), description="INSEE codes a mayor acts on; empty for every other role"
    )

    @property
    def tenant_wide(self) -> bool:
        """Admins and dispatchers act on the whole tenant; nobody else does."""
        return self.role in TENANT_WIDE_ROLES

    def reaches_commune(self, code: str) -> bool:
        return self.tenant_wide or (self.role is Role.MAYOR and code in self.communes)

    def reaches_communes(self, codes: Iterable[str]) -> bool:
        """True when the caller reaches every one of `codes`, and there is at least one.

        An object that names no commune belongs to the tenant: only tenant-wide roles reach it.
        """
        wanted = set(codes)
        if self.tenant_wide:
            return True
        return bool(wanted) and all(self.reaches_commune(code) for code in wanted)
