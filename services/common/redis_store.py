"""A nameko dependency that hands each worker a small domain-shaped store over one Redis client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from nameko.extensions import DependencyProvider

from services.common.settings import Settings, load_settings

StoreFactory = Callable[[redis.Redis, Settings], Any]


def connect(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_connect_timeout=3,
        socket_timeout=10,
        health_check_interval=30,
    )


def redis_state(client: redis.Redis) -> str:
    try:
        client.ping()
    except redis.RedisError:
        return "down"
    return "ok"


class RedisStore(DependencyProvider):  # type: ignore[misc]
    """`store = RedisStore(RoutingStore)`: each worker gets `RoutingStore(client, settings)`."""

    def __init__(self, factory: StoreFactory) -> None:
        self.factory = factory
        self.client: redis.Redis | None = None
        self.settings: Settings | None = None

    def setup(self) -> None:
        self.settings = load_settings(self.container.config)
        self.client = connect(self.settings.redis_url)

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        assert self.client is not None and self.settings is not None
        return self.factory(self.client, self.settings)
