"""One running sandbox: its settings, its memory, its rate limiter and its webhook workers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .config import SandboxConfig
from .outage import Outage
from .ratelimit import TokenBucket
from .store import Store
from .webhooks import Webhooks

# A keypress waiting to be taken by a call at a <Gather>, with what to tell the presser.
Keypress = tuple[str, "asyncio.Future[dict[str, object]]"]


@dataclass
class Sandbox:
    config: SandboxConfig
    store: Store
    bucket: TokenBucket
    webhooks: Webhooks
    keypads: dict[str, asyncio.Queue[Keypress]] = field(default_factory=dict)  # live calls only
    rate_limited: int = 0  # messages refused with 429 for going over the rate limit
    outage: Outage = field(default_factory=Outage)  # switched by POST /sandbox/outage

    @classmethod
    def build(cls, config: SandboxConfig) -> Sandbox:
        return cls(
            config=config,
            store=Store(config.request_log_size),
            bucket=TokenBucket(config.rate_limit),
            webhooks=Webhooks(config),
        )

    def reset(self) -> None:
        self.webhooks.clear()
        self.keypads.clear()
        self.store.reset()
        self.bucket = TokenBucket(self.config.rate_limit)
        self.rate_limited = 0
        self.outage = Outage()

    async def pause(self) -> None:
        """The configured pause between two status changes (none by default)."""
        if self.config.status_delay > 0:
            await asyncio.sleep(self.config.status_delay)
