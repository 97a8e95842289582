"""The carpool service's entrypoints. Ride offers, requests and matching come with their issue."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.carpool.store import CarpoolStore
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.uptime import Uptime


class CarpoolService:
    name = "carpool"

    store: CarpoolStore = RedisStore(CarpoolStore)
    uptime: float = Uptime()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)
