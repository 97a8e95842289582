"""The audit trail: one stream per tenant, newest last.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from services.alerts.stores.base import StoreBase


class AuditStore(StoreBase):
    def audit(self, tenant: str, actor: str, action: str, **detail: Any) -> None:
        entry = {
            "at": datetime.now(UTC).isoformat(),
            "actor": actor,
            "action": action,
            "detail": json.dumps(detail, default=str),
        }
        self.client.xadd(self._k(tenant, "audit"), entry)

    def audit_trail(self, tenant: str, count: int = 1000) -> list[dict[str, Any]]:
        entries = self.client.xrevrange(self._k(tenant, "audit"), count=count)
        return [
            {**fields, "detail": json.loads(fields["detail"]), "id": entry_id}
            for entry_id, fields in entries
        ]
