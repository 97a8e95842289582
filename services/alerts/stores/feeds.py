"""Vigilance feeds: the last state read per feed, reaches, and the draft each item made.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

from services.alerts.stores.base import StoreBase


class FeedStore(StoreBase):
    def feed_state(self, tenant: str, kind: str) -> str | None:
        value = self.client.get(self._k(tenant, "feed", kind))
        return str(value) if value is not None else None

    def save_feed_state(self, tenant: str, kind: str, state: str) -> None:
        self.client.set(self._k(tenant, "feed", kind), state)

    def save_reaches(self, tenant: str, reaches: dict[str, str]) -> None:
        """River reaches (id → geometry JSON) from the last Vigicrues documents, for targeting."""
        if reaches:
            self.client.hset(self._k(tenant, "reaches"), mapping=reaches)

    def reach(self, tenant: str, reach_id: str) -> str | None:
        value = self.client.hget(self._k(tenant, "reaches"), reach_id)
        return str(value) if value is not None else None

    def draft_for(self, tenant: str, key: str) -> str | None:
        value = self.client.hget(self._k(tenant, "drafts"), key)
        return str(value) if value is not None else None

    def set_draft_for(self, tenant: str, key: str, campaign_id: str) -> None:
        self.client.hset(self._k(tenant, "drafts"), key, campaign_id)
