"""Campaigns: saved whole, changed under optimistic concurrency, listed newest first.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from contracts.alerts import Campaign
from services.alerts.stores.base import StoreBase


class CampaignStore(StoreBase):
    def save_campaign(self, campaign: Campaign) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(self._shared("tenants"), campaign.tenant)
            pipe.set(
                self._k(campaign.tenant, "campaign", campaign.campaign_id),
                campaign.model_dump_json(),
            )
            pipe.zadd(
                self._k(campaign.tenant, "campaigns"),
                {campaign.campaign_id: campaign.created_at.timestamp()},
            )
            pipe.execute()

    def change_campaign(
        self, tenant: str, campaign_id: str, expected: set[str], **changes: Any
    ) -> Campaign | None:
        """Change a few fields of the stored campaign if its status is one of `expected`."""

        def change(current: Campaign) -> Campaign | None:
            if current.status not in expected:
                return None
            return current.model_copy(update=changes)

        return self.modify_campaign(tenant, campaign_id, change)

    def modify_campaign(
        self, tenant: str, campaign_id: str, change: Callable[[Campaign], Campaign | None]
    ) -> Campaign | None:
        """Store `change(current)` unless it returns None; None too if there is no campaign.

        Read and written under WATCH (optimistic concurrency): a cancel, a follow-up or the
        engine never clobbers a change another instance saved meanwhile with a copy it read
        earlier; on a conflict `change` runs again on the fresh campaign. `change` may raise.
        """
        key = self._k(tenant, "campaign", campaign_id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    changed = change(Campaign.model_validate_json(raw))
                    if changed is None:
                        pipe.unwatch()
                        return None
                    pipe.multi()
                    pipe.set(key, changed.model_dump_json())
                    pipe.execute()
                    return changed
                except redis.WatchError:
                    continue

    def campaign(self, tenant: str, campaign_id: str) -> Campaign | None:
        raw = self.client.get(self._k(tenant, "campaign", campaign_id))
        return Campaign.model_validate_json(raw) if raw else None

    def campaigns(self, tenant: str, limit: int = 100) -> list[Campaign]:
        ids = self.client.zrevrange(self._k(tenant, "campaigns"), 0, limit - 1)
        keys = [self._k(tenant, "campaign", cid) for cid in ids]
        return [Campaign.model_validate_json(raw) for raw in self.client.mget(keys) if raw]
