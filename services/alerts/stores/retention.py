"""Retention of recipient logs: which campaigns are old enough, purging them, once a day per
deployment.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

from datetime import datetime

from contracts.alerts import Campaign, RecipientState
from services.alerts.stores.base import CHUNK, StoreBase


class RetentionStore(StoreBase):
    def tenants(self) -> list[str]:
        """Every tenant of this deployment that has had a campaign."""
        return sorted(self.client.smembers(self._shared("tenants")))

    def campaigns_created_before(self, tenant: str, cutoff: datetime) -> list[Campaign]:
        """Campaigns created before `cutoff` whose logs are not purged yet."""
        ids = self.client.zrangebyscore(self._k(tenant, "campaigns"), 0, cutoff.timestamp())
        purged = self.client.smembers(self._k(tenant, "logs_purged"))
        keys = [self._k(tenant, "campaign", cid) for cid in ids if cid not in purged]
        found: list[Campaign] = []
        for start in range(0, len(keys), CHUNK):
            chunk = self.client.mget(keys[start : start + CHUNK])
            found += [Campaign.model_validate_json(raw) for raw in chunk if raw]
        return found

    def purge_recipient_logs(self, tenant: str, campaign_id: str, number: int) -> int:
        """Delete one message's recipient states and the matching entries of each contact's
        history; the totals and counts per status stay."""
        purged = 0
        batch: list[RecipientState] = []
        for state in self.states(tenant, campaign_id, number):
            batch.append(state)
            if len(batch) >= CHUNK:
                purged += self._purge(tenant, campaign_id, number, batch)
                batch = []
        purged += self._purge(tenant, campaign_id, number, batch) if batch else 0
        self.client.delete(
            self._msg(tenant, campaign_id, number, "queue"),
            self._msg(tenant, campaign_id, number, "inflight"),
            self._msg(tenant, campaign_id, number, "retry"),
        )
        return purged

    def _purge(
        self, tenant: str, campaign_id: str, number: int, states: list[RecipientState]
    ) -> int:
        with self.client.pipeline(transaction=False) as pipe:
            for state in states:
                pipe.delete(self._msg(tenant, campaign_id, number, "r", state.key))
                pipe.lrem(
                    self._k(tenant, "contact", state.contact_id, "history"),
                    0,
                    f"{campaign_id}:{number}:{state.channel}",
                )
            pipe.execute()
        return len(states)

    def mark_logs_purged(self, tenant: str, campaign_id: str) -> None:
        self.client.sadd(self._k(tenant, "logs_purged"), campaign_id)

    def claim_daily(self, job: str, day: str) -> bool:
        """True for the first instance of the deployment to ask for `job` on `day`."""
        key = self._shared(f"daily:{job}:{day}")
        return bool(self.client.set(key, "1", nx=True, ex=2 * 86400))
