"""nameko glue for the alerts service: the delivery engine runs as a managed background loop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider

from services.alerts.channels.twilio import TwilioChannel
from services.alerts.engine_config import sender_config, twilio_settings
from services.alerts.sender import CampaignSender
from services.alerts.settings import AlertsSettings, load_alerts_settings
from services.alerts.store import AlertsStore
from services.common.redis_persistence import persistence_of, warning_for
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
        self.redis_url = settings.redis_url
        self.store = AlertsStore(self.client, settings)
        self.channel = TwilioChannel(twilio_settings(self.alerts_settings))
        self.pool = GreenPool(self.alerts_settings.concurrency)
        self.sender = CampaignSender(
            self.store,
            self.channel,
            sender_config(self.alerts_settings),
            spawn=self._spawn,
            sleep=eventlet.sleep,
        )
        self.running = False

    def _spawn(self, fn: Any, *args: Any) -> None:
        self.pool.spawn_n(fn, *args)

    def start(self) -> None:
        # Said at every start: without persistence a Redis restart forgets what was sent.
        warning = warning_for(persistence_of(self.client), self.redis_url)
        if warning is not None:
            log.warning("%s", warning)
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
