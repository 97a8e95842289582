"""Apply the retention of the vans' positions (see `positions_retention`) to every tenant of the
deployment. Run daily by the service's timer; running it twice changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime

from services.routing.meals_store import MealsStore
from services.routing.positions_retention import position_expired

log = logging.getLogger(__name__)


def apply_retention(store: MealsStore, now: datetime, keep_days: int) -> int:
    """Forget every position past the retention; returns how many."""
    forgotten = 0
    for key in store.tracked_vehicles():
        at = store.position_at(key)
        if at is None or not position_expired(datetime.fromisoformat(at), now, keep_days):
            continue
        forgotten += store.forget_position(key, at)
    if forgotten:
        log.info("positions retention (%d days): %d positions forgotten", keep_days, forgotten)
    return forgotten
