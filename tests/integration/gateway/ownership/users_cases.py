"""Gateway users in the ownership matrix."""

from __future__ import annotations

from tests.integration.gateway.ownership import TenantWide, register

register(
    "DELETE",
    "/users/{username}",
    TenantWide("the tenant's accounts are managed by its admins; one tenant per deployment"),
)
