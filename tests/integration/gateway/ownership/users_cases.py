"""Gateway users in the ownership matrix."""

from __future__ import annotations

from tests.integration.gateway.ownership import TenantWide, register

ACCOUNTS = TenantWide("the tenant's accounts are managed by its admins; one tenant per deployment")
register("DELETE", "/users/{username}", ACCOUNTS)
for action in ("disable", "enable", "password"):
    register("POST", f"/users/{{username}}/{action}", ACCOUNTS)
