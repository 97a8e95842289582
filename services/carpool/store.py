"""The carpool service's state in Redis, under `carpool:<tenant>:`."""

from __future__ import annotations

import redis

from services.common.settings import Settings

PREFIX = "carpool"


class CarpoolStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
