"""What every alerts store shares: the connection, the deployment, the key layout, and the Lua
scripts each aggregate declares (`SCRIPTS`, registered once per store)."""

from __future__ import annotations

from typing import ClassVar

import redis

from services.alerts.keys import PREFIX, message_key, tenant_key
from services.common.settings import Settings, deployment_of

CHUNK = 2000  # keys per MGET / pipeline when walking thousands of recipients or contacts

# Take up to ARGV[3] members of a schedule (a sorted set by due time) due by ARGV[1]; each is
# leased until ARGV[2] (its score moves there), so two instances never take the same one.
TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return due
"""


class StoreBase:
    SCRIPTS: ClassVar[dict[str, str]] = {}

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.deployment = deployment_of(settings.amqp_uri)
        for cls in type(self).__mro__:
            for attribute, source in vars(cls).get("SCRIPTS", {}).items():
                setattr(self, attribute, client.register_script(source))

    @staticmethod
    def _k(tenant: str, *parts: str) -> str:
        return tenant_key(tenant, *parts)

    def _shared(self, name: str) -> str:
        """Keys that span tenants (the send index, STOP replies to our sender) belong to one
        deployment (see `deployment_of`): no deployment sends another's campaigns."""
        return ":".join((PREFIX, "_", self.deployment, name))

    @staticmethod
    def _msg(tenant: str, campaign_id: str, number: int, *parts: str) -> str:
        return message_key(tenant, campaign_id, number, *parts)
