"""The asyncio sender's batched path on the real Redis, the real twilio SDK and the sandbox:
recipients claimed and begun in one round trip, accepted answers recorded together; everyone gets
the alert once, opted-out numbers none, and an instance that dies after the provider accepted but
before recording leaves nothing to send twice."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from contracts.alerts import (
    RecipientState,
)
from services.alerts.async_sender import AsyncCampaignSender
from services.alerts.channels.twilio import TwilioChannel, TwilioSettings
from services.alerts.channels.twilio_async import AsyncTwilioChannel
from services.alerts.sender import SenderConfig
from services.alerts.store import AlertsStore
from tests.integration.alerts.sending_campaign import sending_campaign, sms_states
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess

pytestmark = pytest.mark.integration

PEOPLE = 120
OPTED_OUT = {3, 50}


def _phone(i: int) -> str:
    return f"+33663{i:06d}"


def _states() -> list[RecipientState]:
    return sms_states(PEOPLE, _phone)


def _campaign(store: AlertsStore, tenant: str) -> str:
    campaign_id = sending_campaign(store, tenant)
    store.freeze_recipients(tenant, campaign_id, 1, _states())
    return campaign_id


def _settings(sandbox: SandboxProcess) -> TwilioSettings:
    return TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sms_sender="BOCAGE",
        voice_caller="+33300000000", base_url=sandbox.base_url, max_connections=16,
    )  # fmt: skip


async def _deliver_all(store: AlertsStore, sandbox: SandboxProcess) -> AsyncCampaignSender:
    """One asyncio sender, driven as `async_sender.run` drives it, until nothing is left to
    claim and every request has ended."""
    requests = await AsyncTwilioChannel.open(_settings(sandbox))
    sender = AsyncCampaignSender(
        store,
        TwilioChannel(_settings(sandbox)),
        SenderConfig(public_base_url=None, batch=16, lease_s=30, settle_after_s=0),
        requests=requests,
        concurrency=16,
    )
    try:
        while True:
            started = sender.step(sender.free_slots()) if sender.free_slots() else 0
            if not started and not sender.tasks:
                break
            await asyncio.sleep(0.001)
        await sender.drain()
    finally:
        await requests.close()
    return sender


def test_one_round_trip_claims_and_begins_a_batch_and_releases_what_is_not_to_send(
    store: AlertsStore, tenant: str
) -> None:
    campaign_id = _campaign(store, tenant)
    for i in OPTED_OUT:
        store.set_opt_out(tenant, _phone(i), "mairie")
    store.update_state(tenant, campaign_id, 1, _states()[7].key, {"status": "accepted"})

    begun = store.claim_and_begin(tenant, campaign_id, 1, 100, "me")

    outcomes = {key: outcome for key, outcome, _ in begun}
    assert len(begun) == 100
    assert [outcomes[_states()[i].key] for i in sorted(OPTED_OUT)] == ["opted_out"] * 2
    assert outcomes[_states()[7].key] == "skip"
    sending = [state for _, outcome, state in begun if outcome == "sending"]
    assert len(sending) == 97
    assert all(s is not None and s.status == "sending" and s.attempts == 1 for s in sending)
    assert all(s is not None and s.claimed_at is not None for s in sending)
    # Only what is to be sent is in flight, under its sender's name.
    assert set(store.inflight(tenant, campaign_id, 1).values()) == {"me"}
    assert len(store.inflight(tenant, campaign_id, 1)) == 97
    _, counts = store.counts(tenant, campaign_id, 1)
    assert counts == {"pending": 20, "sending": 97, "opted_out": 2, "accepted": 1}
    assert store.outstanding(tenant, campaign_id, 1) == 97 + 20


def test_the_asyncio_sender_sends_everyone_once_in_batches(
    store: AlertsStore, sandbox: SandboxProcess, tenant: str
) -> None:
    sandbox.reset()
    campaign_id = _campaign(store, tenant)
    for i in OPTED_OUT:
        store.set_opt_out(tenant, _phone(i), "mairie")

    asyncio.run(_deliver_all(store, sandbox))

    stats = sandbox.get("/sandbox/stats")
    assert stats["phones_by_messages_received"] == {"1": PEOPLE - len(OPTED_OUT)}
    sent = PEOPLE - len(OPTED_OUT)
    assert store.counts(tenant, campaign_id, 1) == (
        PEOPLE,
        {"accepted": sent, "opted_out": len(OPTED_OUT)},
    )
    assert store.outstanding(tenant, campaign_id, 1) == 0
    assert all(s.sid for s in store.states(tenant, campaign_id, 1) if s.status == "accepted")


def test_a_sender_dead_before_recording_what_the_provider_accepted_sends_nothing_twice(
    store: AlertsStore, sandbox: SandboxProcess, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.reset()
    campaign_id = _campaign(store, tenant)
    # It dies with the provider's answers in hand: their records never reach Redis.
    monkeypatch.setattr(store, "finish_many", lambda accepted, chase_at: None)
    dead: Any = asyncio.run(_deliver_all(store, sandbox))
    monkeypatch.undo()
    # Every message left; none is recorded: all still `sending`, in flight with the dead one.
    assert sandbox.get("/sandbox/stats")["messages"] == PEOPLE
    assert store.counts(tenant, campaign_id, 1) == (PEOPLE, {"sending": PEOPLE})
    store.drop_lease(dead.owner)

    async def take_over() -> int:
        requests = await AsyncTwilioChannel.open(_settings(sandbox))
        try:
            heir = AsyncCampaignSender(
                store,
                TwilioChannel(_settings(sandbox)),
                SenderConfig(public_base_url=None, batch=16, lease_s=30, settle_after_s=0),
                requests=requests,
                concurrency=16,
            )
            return heir.recover()
        finally:
            await requests.close()

    assert asyncio.run(take_over()) == PEOPLE  # each found at the provider, recorded
    assert sandbox.get("/sandbox/stats")["phones_by_messages_received"] == {"1": PEOPLE}
    assert store.counts(tenant, campaign_id, 1) == (PEOPLE, {"accepted": PEOPLE})
    assert store.outstanding(tenant, campaign_id, 1) == 0
    assert store.receipts_awaited() == PEOPLE  # their receipts are awaited, asked for if lost


def test_answers_recorded_together_never_move_a_status_back(
    store: AlertsStore, tenant: str
) -> None:
    campaign_id = _campaign(store, tenant)
    begun = store.claim_and_begin(tenant, campaign_id, 1, 3, "me")
    (first, _, _), (second, _, _), (third, _, _) = begun
    # The provider's "delivered" callback overtook the sender's own record of the answer.
    store.update_state(tenant, campaign_id, 1, second, {"status": "delivered"})

    store.finish_many(
        [(tenant, campaign_id, 1, key, f"SM{n}") for n, key in enumerate([first, second, third])],
        chase_at=time.time() + 300,
    )

    statuses = {key: store.state(tenant, campaign_id, 1, key) for key in (first, second, third)}
    assert [s.status if s else None for s in statuses.values()] == [
        "accepted",
        "delivered",
        "accepted",
    ]
    assert [s.sid if s else None for s in statuses.values()] == ["SM0", "SM1", "SM2"]
    assert store.inflight(tenant, campaign_id, 1) == {}
    _, counts = store.counts(tenant, campaign_id, 1)
    assert counts == {"pending": PEOPLE - 3, "accepted": 2, "delivered": 1}
