"""The answer every service gives to `ping`."""

from __future__ import annotations

from typing import Any, Literal

import redis

from contracts.health import ServicePing
from services.common.redis_store import redis_state
from services.common.uptime import bocage_version


def ping_answer(name: str, uptime_s: float, client: redis.Redis) -> dict[str, Any]:
    state: Literal["ok", "down"] = "ok" if redis_state(client) == "ok" else "down"
    return ServicePing(
        name=name, version=bocage_version(), uptime_s=round(uptime_s, 3), redis=state
    ).model_dump(mode="json")
