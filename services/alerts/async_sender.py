"""The asyncio sender process: delivers campaigns from the same Redis state, outside eventlet.

    python -m services.alerts.async_sender

Runs one event loop (uvloop when installed); the requests to Twilio go through the SDK's asyncio
client, up to ALERTS_SENDER_CONCURRENCY at once. Every guarantee of the engine holds because it
is the same engine (`CampaignSender`): claims under this process's lease, one pace in Redis for
every instance, takeover of dead instances' work, per-recipient retry. Only the request itself
is awaited; the rare provider look-ups (after a crash) use the synchronous client. Run it with
ALERTS_DELIVERY=external on the alerts service, so that nameko answers RPCs and webhooks only.

Round trips to Redis are what a loop of 100,000 sends pays for most (the Redis client is
synchronous: each one stalls every request in flight). So, when no pace applies, a batch of
recipients is claimed and begun in one round trip (`claim_and_begin`), and accepted answers are
recorded together, a few milliseconds later, in one pipeline (`finish_many`). A recipient stays
this instance's work until its answer is recorded: if the process dies in between, the takeover
asks the provider, finds the message and records it, as after any crash. Each request must be
answered within the provider timeout counted from its begin (not from when its turn came), so
another instance may still settle it once `settle_after_s` has passed since the begin.
With a pace, each recipient waits for its tokens between claim and begin, one by one, as the
nameko engine does (a recipient taken over during the wait is then not sent twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from contracts.alerts import Campaign, RecipientState
from services.alerts.channels.twilio import ProviderAnswer, TwilioChannel
from services.alerts.channels.twilio_async import AsyncTwilioChannel
from services.alerts.delivery_policy import decide
from services.alerts.engine_config import sender_config, twilio_settings
from services.alerts.sender import CampaignSender
from services.alerts.settings import load_alerts_settings
from services.alerts.store import AlertsStore
from services.common.redis_store import connect
from services.common.settings import load_settings

log = logging.getLogger(__name__)

FLUSH_AFTER_S = 0.005  # accepted answers wait at most this long to be recorded together
FLUSH_AT = 64  # ... or until this many are waiting
RETRY_FLUSH_S = 1.0  # Redis refused the records: try again (they are kept meanwhile)

Accepted = tuple[str, str, int, str, str]  # tenant, campaign, message, key, SID


class AsyncCampaignSender(CampaignSender):
    """The engine with the send awaited on the asyncio channel, each in a task of its own."""

    def __init__(
        self, *args: Any, requests: AsyncTwilioChannel, concurrency: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, spawn=self._spawn_paced, **kwargs)
        self.requests = requests
        self.concurrency = concurrency
        self.refill_at = max(1, concurrency // 2)  # claim again once this many slots are free
        self.tasks: set[asyncio.Task[None]] = set()
        self.room = asyncio.Event()
        self._accepted: list[Accepted] = []
        self._flush_handle: asyncio.TimerHandle | None = None

    # -- tasks ------------------------------------------------------------------------------
    def _track(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if self.concurrency - len(self.tasks) >= self.refill_at:
            self.room.set()

    def _spawn_paced(self, fn: Any, *args: Any) -> None:
        self._track(self.deliver_async(*args))

    def free_slots(self) -> int:
        return self.concurrency - len(self.tasks)

    def _paced(self) -> bool:
        return self.config.sms_segments_per_second > 0 or self.config.calls_per_second > 0

    def _start(self, tenant: str, campaign: Campaign, number: int, want: int) -> int:
        if self._paced() or campaign.status == "cancelled":
            return super()._start(tenant, campaign, number, want)
        campaign_id = campaign.campaign_id
        # Counted from before the begin: never later than `claimed_at` + the timeout.
        deadline = asyncio.get_running_loop().time() + self.requests.settings.timeout_s
        begun = self.store.claim_and_begin(tenant, campaign_id, number, want, self.owner)
        for key, outcome, state in begun:
            if outcome == "sending" and state is not None:
                self._delivering.add((tenant, campaign_id, number, key))
                self._track(self.send_begun(tenant, campaign, number, state, deadline))
        return len(begun)

    # -- one recipient ----------------------------------------------------------------------
    async def send_begun(
        self,
        tenant: str,
        campaign: Campaign,
        number: int,
        state: RecipientState,
        deadline: float,
    ) -> None:
        """Send a recipient already marked `sending` under this instance's name."""
        ids = (tenant, campaign.campaign_id, number, state.key)
        recorded_later = False
        try:
            checked = self._unless_sent(tenant, campaign, number, state)
            if checked is None:
                return
            answer = await self._request(tenant, campaign, number, checked, deadline)
            recorded_later = self._settle_answer(tenant, campaign, number, checked, answer)
        except Exception:
            log.exception("delivery of %s/%s/%s failed unexpectedly", *ids[1:])
            self._retry_after_error(*ids)
        finally:
            if not recorded_later:
                self._delivering.discard(ids)

    async def deliver_async(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        """The paced path: wait for the pace, then begin, then send (see `_deliver`)."""
        ids = (tenant, campaign_id, number, key)
        recorded_later = False
        try:
            found = self._message_for(tenant, campaign_id, number, key)
            if found is None:
                return
            campaign, message = found
            wait = self._wait_for_pace(message, key)
            if wait > 0:
                await asyncio.sleep(wait)
            deadline = asyncio.get_running_loop().time() + self.requests.settings.timeout_s
            state = self._begin(tenant, campaign, number, key)
            if state is None:
                return
            answer = await self._request(tenant, campaign, number, state, deadline)
            recorded_later = self._settle_answer(tenant, campaign, number, state, answer)
        except Exception:
            log.exception("delivery of %s/%s/%s failed unexpectedly", campaign_id, number, key)
            self._retry_after_error(*ids)
        finally:
            if not recorded_later:
                self._delivering.discard(ids)

    async def _request(
        self,
        tenant: str,
        campaign: Campaign,
        number: int,
        state: RecipientState,
        deadline: float,
    ) -> ProviderAnswer:
        campaign_id = campaign.campaign_id
        message = campaign.messages[number - 1]
        status_url = self._callback(tenant, campaign_id, number, state, "status")
        if state.channel == "sms":
            return await self.requests.send_sms(state.e164, message.text, status_url, deadline)
        twiml = self._twiml(tenant, campaign_id, number, state, message)
        return await self.requests.place_call(state.e164, twiml, status_url, deadline)

    def _settle_answer(
        self,
        tenant: str,
        campaign: Campaign,
        number: int,
        state: RecipientState,
        answer: ProviderAnswer,
    ) -> bool:
        """Record the answer; an acceptance is recorded with others shortly (True)."""
        accepted = decide(answer.http_status, answer.error_code, answer.message)
        if accepted.action != "accepted":
            self._record(tenant, campaign, number, state, answer)
            return False
        self._accepted.append((tenant, campaign.campaign_id, number, state.key, answer.sid or ""))
        if len(self._accepted) >= FLUSH_AT:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_later(FLUSH_AFTER_S, self.flush)
        return True

    def flush(self) -> None:
        """Record every accepted answer waiting, in one round trip."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        accepted, self._accepted = self._accepted, []
        if not accepted:
            return
        try:
            self.store.finish_many(accepted, self._chase_at())
        except Exception:
            log.exception("could not record %d accepted sends: retrying", len(accepted))
            self._accepted = accepted + self._accepted
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(RETRY_FLUSH_S, self.flush)
            return
        for tenant, campaign_id, number, key, _ in accepted:
            self._delivering.discard((tenant, campaign_id, number, key))

    def deliver(self, tenant: str, campaign_id: str, number: int, key: str) -> None:
        raise RuntimeError("the asyncio sender delivers with deliver_async")

    async def drain(self) -> None:
        """Wait for every request in flight and record their answers (a clean stop)."""
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        while self._accepted:
            self.flush()
            if self._accepted:
                await asyncio.sleep(RETRY_FLUSH_S)


async def run(stop: asyncio.Event) -> None:
    settings = load_settings()
    alerts_settings = load_alerts_settings()
    client = connect(settings.redis_url)
    store = AlertsStore(client, settings)
    provider = twilio_settings(alerts_settings)
    requests = await AsyncTwilioChannel.open(provider)  # inside the running loop
    sender = AsyncCampaignSender(
        store,
        TwilioChannel(provider),
        sender_config(alerts_settings),
        requests=requests,
        concurrency=alerts_settings.concurrency,
    )
    log.info("asyncio sender %s started", sender.owner)
    try:
        while not stop.is_set():
            if sender.free_slots() < sender.refill_at:
                # The pool is full: wait for room, renewing the lease meanwhile.
                sender.room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(sender.room.wait(), alerts_settings.lease_s / 4)
                try:
                    sender.heartbeat()
                except Exception:
                    log.exception("could not renew the lease")
                continue
            try:
                started = sender.step(sender.free_slots())
            except Exception:
                log.exception("delivery engine step failed")
                started = 0
            await asyncio.sleep(0 if started else 0.2)
        await sender.drain()
        store.drop_lease(sender.owner)
    finally:
        await requests.close()
        client.close()


def configure_logging() -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    if level != "DEBUG":
        # The SDK logs every request and answer at INFO: two lines a message, and most of the
        # process's CPU at 100,000 messages.
        logging.getLogger("twilio").setLevel(logging.WARNING)


def main() -> None:
    configure_logging()

    async def until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run(stop)

    try:
        import uvloop
    except ImportError:  # the standard loop does the same, a little slower
        asyncio.run(until_signalled())
    else:
        uvloop.run(until_signalled())


if __name__ == "__main__":
    main()
