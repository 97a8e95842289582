"""nameko glue: each worker gets the welfare desk over one Redis client and one Twilio channel."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nameko.extensions import DependencyProvider

from services.alerts.channels.twilio import TwilioChannel
from services.alerts.engine_config import twilio_settings
from services.alerts.settings import load_alerts_settings
from services.alerts.welfare.desk import WelfareDesk
from services.alerts.welfare.sends import NoticeSender
from services.alerts.welfare.settings import load_welfare_settings
from services.alerts.welfare.store import WelfareStore
from services.common.redis_store import connect
from services.common.settings import load_settings


class WelfareDeskProvider(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        settings = load_settings(self.container.config)
        alerts = load_alerts_settings(self.container.config)
        self.welfare_settings = load_welfare_settings(self.container.config)
        self.client = connect(settings.redis_url)
        self.store = WelfareStore(self.client, settings)
        # Notices are few: four kept-alive connections, not one per campaign sender.
        channel = TwilioChannel(replace(twilio_settings(alerts), max_connections=4))
        self.sender = NoticeSender(
            self.store, channel, alerts.public_base_url, lease_s=self.welfare_settings.lease_s,
            receipt_chase_after_s=alerts.receipt_chase_after_s,
        )  # fmt: skip

    def stop(self) -> None:
        self.client.close()

    def kill(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx: Any) -> WelfareDesk:
        return WelfareDesk(self.store, self.sender, self.welfare_settings)
