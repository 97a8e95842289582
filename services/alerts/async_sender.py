"""The asyncio sender process: delivers campaigns from the same Redis state, outside eventlet.

    python -m services.alerts.async_sender

Runs one event loop; the requests to Twilio go through the SDK's asyncio client, up to
ALERTS_SENDER_CONCURRENCY at once. Every guarantee of the engine holds because it is the same
engine (`CampaignSender`): claims under this process's lease, one pace in Redis for every
instance, takeover of dead instances' work, per-recipient retry. Only the request itself is
awaited; the rare provider look-ups (after a crash) use the synchronous client. Run it with
ALERTS_DELIVERY=external on the alerts service, so that nameko answers RPCs and webhooks only.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

from services.alerts.channels.twilio import TwilioChannel, TwilioSettings
from services.alerts.channels.twilio_async import AsyncTwilioChannel
from services.alerts.sender import CampaignSender, SenderConfig
from services.alerts.settings import AlertsSettings, load_alerts_settings
from services.alerts.store import AlertsStore
from services.common.redis_store import connect
from services.common.settings import load_settings

log = logging.getLogger(__name__)


class AsyncCampaignSender(CampaignSender):
    """The engine with the send awaited on the asyncio channel; `spawn` makes a task."""

    def __init__(self, *args: Any, requests: AsyncTwilioChannel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests = requests

    async def deliver_async(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        try:
            found = self._message_for(tenant, campaign_id, number, key)
            if found is None:
                return
            campaign, message = found
            wait = self._wait_for_pace(message, key)
            if wait > 0:
                await asyncio.sleep(wait)
            state = self._begin(tenant, campaign, number, key)
            if state is None:
                return
            status_url = self._callback(tenant, campaign_id, number, state, "status")
            if state.channel == "sms":
                answer = await self.requests.send_sms(state.e164, message.text, status_url)
            else:
                twiml = self._twiml(tenant, campaign_id, number, state, message)
                answer = await self.requests.place_call(state.e164, twiml, status_url)
            self._record(tenant, campaign, number, state, answer)
        except Exception:
            log.exception("delivery of %s/%s/%s failed unexpectedly", campaign_id, number, key)
            self._retry_after_error(tenant, campaign_id, number, key)
        finally:
            self._delivering.discard((tenant, campaign_id, number, key))

    def deliver(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        raise RuntimeError("the asyncio sender delivers with deliver_async")


def twilio_settings(settings: AlertsSettings) -> TwilioSettings:
    return TwilioSettings(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token,
        sms_sender=settings.sms_sender,
        voice_caller=settings.voice_caller,
        base_url=settings.twilio_base_url,
        timeout_s=settings.provider_timeout_s,
        max_connections=settings.concurrency,
    )


async def run(stop: asyncio.Event) -> None:
    settings = load_settings()
    alerts_settings = load_alerts_settings()
    client = connect(settings.redis_url)
    store = AlertsStore(client, settings)
    provider = twilio_settings(alerts_settings)
    requests = await AsyncTwilioChannel.open(provider)  # inside the running loop
    tasks: set[asyncio.Task[None]] = set()

    def spawn(fn: Callable[..., Any], *args: Any) -> None:
        task = asyncio.create_task(sender.deliver_async(*args))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    sender = AsyncCampaignSender(
        store,
        TwilioChannel(provider),
        SenderConfig(
            public_base_url=alerts_settings.public_base_url,
            sms_segments_per_second=alerts_settings.sms_segments_per_second,
            calls_per_second=alerts_settings.calls_per_second,
            batch=alerts_settings.concurrency,
            lease_s=alerts_settings.lease_s,
            settle_after_s=alerts_settings.provider_timeout_s + 5.0,
        ),
        spawn=spawn,
        requests=requests,
    )
    log.info("asyncio sender %s started", sender.owner)
    try:
        while not stop.is_set():
            try:
                started = sender.step()
            except Exception:
                log.exception("delivery engine step failed")
                started = 0
            while not stop.is_set() and len(tasks) >= alerts_settings.concurrency:
                sender.heartbeat()  # the lease must outlive a full pool waiting on the pace
                await asyncio.sleep(0.005)
            await asyncio.sleep(0 if started else 0.2)
        if tasks:
            await asyncio.gather(*tasks)
        store.drop_lease(sender.owner)
    finally:
        await requests.close()
        client.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run(stop)

    asyncio.run(until_signalled())


if __name__ == "__main__":
    main()
