"""Escalations: one per delivery and day, rewritten (not deleted) when a senior is erased.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

import json
from collections.abc import Callable

from contracts.escalations import Escalation
from services.alerts.stores.base import StoreBase


class EscalationStore(StoreBase):
    def open_escalation(self, tenant: str, escalation: Escalation) -> bool:
        """Record the escalation unless one already exists for its id. True if it is new."""
        # HSETNX makes the write its own idempotency check: a redelivered event changes nothing.
        added = self.client.hsetnx(
            self._k(tenant, "escalations"), escalation.escalation_id, escalation.model_dump_json()
        )
        return bool(added)

    def rewrite_escalations(
        self,
        tenant: str,
        concerned: Callable[[Escalation], bool],
        rewrite: Callable[[Escalation], Escalation],
    ) -> int:
        """Rewrite the escalations `concerned` picks (an erasure); returns how many."""
        changed = {
            e.escalation_id: rewrite(e).model_dump_json()
            for e in self.escalations(tenant)
            if concerned(e)
        }
        if changed:
            self.client.hset(self._k(tenant, "escalations"), mapping=changed)
        return len(changed)

    def escalations(self, tenant: str) -> list[Escalation]:
        raw = self.client.hvals(self._k(tenant, "escalations"))
        found = [Escalation.model_validate(json.loads(item)) for item in raw]
        return sorted(found, key=lambda e: e.opened_at)
