"""How long the vans' positions are kept. Pure.

A position (where a van was, and when) says where its driver was: it is needed while the round
runs and for a while after (questions about a late delivery); then it goes. The round, its marks
at the door and its ETAs stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_KEEP_DAYS = 30


def position_expired(at: datetime, now: datetime, keep_days: int) -> bool:
    """Older than the retention."""
    return now - at > timedelta(days=keep_days)
