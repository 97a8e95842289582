"""Does this Redis keep its data across a restart? Said once at start, in words an operator acts on.

Bocage's exactly-once guarantees rest on Redis remembering what was sent. With the append-only
file (`appendonly yes`, as compose runs it) a restart loses at most a second, which the alerts
engine reconciles with the provider. With RDB snapshots only, it loses everything since the last
snapshot; with neither, a restart starts from nothing (contacts, campaigns, the record of what
was sent). The service cannot fix that; it must say so rather than find out by resending.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import redis

Persistence = Literal["aof", "rdb", "none", "unknown"]


def classify(info: Mapping[str, Any], save: str | None) -> Persistence:
    """From `INFO persistence` and `CONFIG GET save` (None when CONFIG is refused)."""
    if "aof_enabled" not in info:
        return "unknown"
    if str(info["aof_enabled"]) == "1":
        return "aof"
    if save is None:
        return "unknown"
    return "rdb" if save.strip() else "none"


def warning_for(kind: Persistence, redis_url: str) -> str | None:
    """The start-up warning for this kind of persistence; None when nothing needs saying."""
    where = redis_url.split("@")[-1]  # never a password in a log
    fix = "run Redis with `--appendonly yes --appendfsync everysec` (compose does)"
    if kind == "none":
        return (
            f"Redis at {where} has no persistence (no append-only file, no snapshots): "
            "a Redis restart loses every contact, campaign and the record of what was sent, "
            "and the alerts already sent cannot be told from those never sent; " + fix
        )
    if kind == "rdb":
        return (
            f"Redis at {where} keeps RDB snapshots only: a Redis restart loses every write "
            "since the last snapshot, possibly minutes of sends the provider will then be asked "
            "about; " + fix
        )
    if kind == "unknown":
        return (
            f"could not tell whether Redis at {where} persists its data (INFO or CONFIG "
            "refused): make sure it runs with the append-only file; " + fix
        )
    return None


def persistence_of(client: redis.Redis) -> Persistence:
    try:
        info = client.info("persistence")
    except redis.RedisError:
        return "unknown"
    try:
        save: str | None = str(client.config_get("save").get("save", ""))
    except redis.RedisError:  # managed Redis often refuses CONFIG
        save = None
    return classify(info, save)
