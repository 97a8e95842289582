"""The day indexes' rows as the landmark refresh reads and rewrites them (`landmark_refresh.py`):
which days have an index, who recomputes a day on a graph, and rows replaced only for rides still
in the index. Over the carpool store's connection and keys."""

from __future__ import annotations

import json
from typing import Any

from services.carpool.store import CarpoolStore

REFRESH_CLAIM_S = 600

# Rows of rides still in the day's index (ARGV: ride key, row, ...) replaced; the day's version
# moves once if any was, so every process's cached index reloads.
REWRITE_ROWS_LUA = """
local written = 0
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    written = written + 1
  end
end
if written > 0 then redis.call('INCR', KEYS[2]) end
return written
"""


class RideRows:
    def __init__(self, store: CarpoolStore) -> None:
        self.store = store
        self._rewrite_rows: Any = store.client.register_script(REWRITE_ROWS_LUA)

    def rewrite_rows(
        self, tenant: str, day: str, rows: dict[str, list[float | None]], graph: str
    ) -> int:
        """Replace these rides' prefilter rows (their landmark times now from `graph`), each only
        if the ride is still in the day's index; returns how many were replaced."""
        if not rows:
            return 0
        fields = [x for key, row in rows.items() for x in (key, json.dumps([*row, graph]))]
        written = self._rewrite_rows(
            keys=[self.store.k(tenant, "day", day), self.store.k(tenant, "dayv", day)], args=fields
        )
        return int(written)

    def index_days(self, tenant: str) -> list[str]:
        """The days that have a ride index (ISO dates)."""
        prefix = self.store.k(tenant, "day", "")
        keys = self.store.client.scan_iter(match=f"{prefix}*", count=500)
        return sorted(str(key)[len(prefix) :] for key in keys)

    def claim_refresh(self, tenant: str, day: str, graph: str) -> bool:
        """True for the one instance that recomputes this day's rows on `graph` (for a while:
        one that died half-way leaves it to the next pass after the claim lapses)."""
        key = f"{self.store.outbox_prefix}:refresh:{tenant}:{day}:{graph}"
        return bool(self.store.client.set(key, "1", nx=True, ex=REFRESH_CLAIM_S))
