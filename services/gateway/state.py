"""What a request handler reaches through `request.app.state.gateway`: built by create_app."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from fastapi import Request

from services.gateway.auth import Sessions
from services.gateway.event_feed import EventFeed
from services.gateway.fanout import Hub
from services.gateway.health import HealthChecker
from services.gateway.rpc import RpcPool
from services.gateway.settings import GatewaySettings
from services.gateway.throttle import InboundLimit
from services.gateway.users import UserStore


@dataclass
class Gateway:
    settings: GatewaySettings
    redis: redis.Redis
    users: UserStore
    sessions: Sessions
    inbound_limit: InboundLimit
    rpc: RpcPool
    solves: RpcPool
    pings: RpcPool
    health: HealthChecker
    hub: Hub
    feed: EventFeed

    def close(self) -> None:
        self.feed.close()
        self.health.close()
        self.rpc.close()
        self.solves.close()
        self.pings.close()
        self.redis.close()
        self.health.redis.close()


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway
