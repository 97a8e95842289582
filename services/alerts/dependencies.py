"""nameko glue for the alerts service: the delivery engine runs as a managed background loop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider

from services.alerts.channels.twilio import TwilioChannel, TwilioSettings
from services.alerts.sender import CampaignSender, SenderConfig
from services.alerts.settings import AlertsSettings, load_alerts_settings
from services.alerts.store import AlertsStore
from services.common.redis_store import connect
from services.common.settings import load_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineHandle:
    """What a worker sees: the sender (to queue calls) and the settings it runs with."""

    sender: CampaignSender
    settings: AlertsSettings


class DeliveryEngine(DependencyProvider):  # type: ignore[misc]
    """Owns the Twilio channel and the sender loop."""

    def setup(self) -> None:
        settings = load_settings(self.container.config)
        self.alerts_settings: AlertsSettings = load_alerts_settings(self.container.config)
        self.client = connect(settings.redis_url)
        self.store = AlertsStore(self.client, settings)
        self.channel = TwilioChannel(
            TwilioSettings(
                account_sid=self.alerts_settings.twilio_account_sid,
                auth_token=self.alerts_settings.twilio_auth_token,
                sms_sender=self.alerts_settings.sms_sender,
                voice_caller=self.alerts_settings.voice_caller,
                base_url=self.alerts_settings.twilio_base_url,
                timeout_s=self.alerts_settings.provider_timeout_s,
                max_connections=self.alerts_settings.concurrency,
            )
        )
        self.pool = GreenPool(self.alerts_settings.concurrency)
        self.sender = CampaignSender(
            self.store,
            self.channel,
            SenderConfig(
                public_base_url=self.alerts_settings.public_base_url,
                sms_segments_per_second=self.alerts_settings.sms_segments_per_second,
                calls_per_second=self.alerts_settings.calls_per_second,
                batch=self.alerts_settings.concurrency,
                lease_s=self.alerts_settings.lease_s,
                settle_after_s=self.alerts_settings.provider_timeout_s + 5.0,
            ),
            spawn=self._spawn,
            sleep=eventlet.sleep,
        )
        self.running = False

    def _spawn(self, fn: Any, *args: Any) -> None:
        self.pool.spawn_n(fn, *args)

    def start(self) -> None:
        if self.alerts_settings.delivery == "external":
            return  # asyncio sender processes deliver (services/alerts/async_sender.py)
        self.running = True
        self.container.spawn_managed_thread(self._loop, identifier="alerts-delivery-engine")

    def _loop(self) -> None:
        # Each step renews this instance's lease and, once per lease period, takes over what
        # dead instances left in flight (see CampaignSender.heartbeat).
        while self.running:
            try:
                started = self.sender.step()
            except Exception:
                log.exception("delivery engine step failed")
                started = 0
            # Keep the pool fed without spinning: wait while it is full, rest when idle.
            while self.running and self.pool.free() == 0:
                self._heartbeat()  # the lease must outlive a full pool waiting on the pace
                eventlet.sleep(0.01)
            eventlet.sleep(0 if started else 0.2)

    def _heartbeat(self) -> None:
        try:
            self.sender.heartbeat()
        except Exception:
            log.exception("could not renew the delivery lease")

    def stop(self) -> None:
        self.running = False
        self.pool.waitall()
        try:
            self.store.drop_lease(self.sender.owner)  # nothing left in flight: no need to wait
        finally:
            self.client.close()

    def kill(self) -> None:
        self.running = False
        self.client.close()

    def get_dependency(self, worker_ctx: Any) -> EngineHandle:
        return EngineHandle(self.sender, self.alerts_settings)
