"""Opt-outs: a tenant's (STOP to a campaign, a mayor's decision) and the deployment's (STOP
to our number).

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.alerts.stores.base import StoreBase


class OptOutStore(StoreBase):
    # A tenant's list holds what the mairie or the person asked; the global list holds STOP
    # replies to our sender, which bind every tenant that uses it.
    def set_opt_out(self, tenant: str, e164: str, source: str) -> None:
        record = json.dumps({"at": datetime.now(UTC).isoformat(), "source": source})
        self.client.hset(self._k(tenant, "optout"), e164, record)

    def clear_opt_out(self, tenant: str, e164: str) -> bool:
        return bool(self.client.hdel(self._k(tenant, "optout"), e164))

    def set_global_opt_out(self, e164: str, opted_out: bool) -> None:
        key = self._shared("optout")
        if opted_out:
            record = json.dumps({"at": datetime.now(UTC).isoformat(), "source": "SMS STOP"})
            self.client.hset(key, e164, record)
        else:
            self.client.hdel(key, e164)

    def is_opted_out(self, tenant: str, e164: str) -> bool:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hexists(self._k(tenant, "optout"), e164)
            pipe.hexists(self._shared("optout"), e164)
            return any(pipe.execute())

    def opted_out(self, tenant: str) -> set[str]:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hkeys(self._k(tenant, "optout"))
            pipe.hkeys(self._shared("optout"))
            own, everyone = pipe.execute()
        return set(own) | set(everyone)
