"""The campaign engine with two instances on the real Redis, the real twilio SDK and the sandbox:
a live instance's work is never taken, a dead one's is taken over and sent exactly once; a freeze
interrupted half-way is completed by asking again, without queueing anyone twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.alerts import (
    RecipientState,
)
from services.alerts.channels.twilio import TwilioChannel, TwilioSettings
from services.alerts.sender import CampaignSender, SenderConfig
from services.alerts.store import AlertsStore
from tests.integration.alerts.sending_campaign import sending_campaign, sms_states
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess

pytestmark = pytest.mark.integration

PEOPLE = 20


def _phone(i: int) -> str:
    return f"+336620000{i:02d}"


def _states() -> list[RecipientState]:
    return sms_states(PEOPLE, _phone)


def _campaign(store: AlertsStore, tenant: str) -> str:
    return sending_campaign(store, tenant)


def _sender(store: AlertsStore, sandbox: SandboxProcess, spawn: Any) -> CampaignSender:
    channel = TwilioChannel(
        TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sms_sender="BOCAGE",
                       voice_caller="+33300000000", base_url=sandbox.base_url)
    )  # fmt: skip
    config = SenderConfig(public_base_url=None, batch=PEOPLE, lease_s=30)
    return CampaignSender(store, channel, config, spawn=spawn)


def _run(fn: Any, *args: Any) -> None:
    fn(*args)


def _never_runs(fn: Any, *args: Any) -> None:
    """An instance that claimed its work and died before sending any of it."""


def test_a_live_instance_keeps_its_work_and_a_dead_ones_is_sent_once(
    store: AlertsStore, sandbox: SandboxProcess, tenant: str
) -> None:
    sandbox.reset()
    campaign_id = _campaign(store, tenant)
    store.freeze_recipients(tenant, campaign_id, 1, _states())
    first = _sender(store, sandbox, _never_runs)
    second = _sender(store, sandbox, _run)

    assert first.step() == PEOPLE  # all claimed by the first instance, none sent yet
    assert second.recover() == 0  # its lease is live: its work is its own
    assert second.step() == 0

    store.drop_lease(first.owner)  # the lease expires: the first instance is dead
    assert second.recover() == PEOPLE
    assert second.recover() == 0  # taken over once
    assert second.step() == PEOPLE  # queued again, then sent by the live instance

    stats = sandbox.get("/sandbox/stats")
    assert stats["phones_by_messages_received"] == {"1": PEOPLE}
    assert store.counts(tenant, campaign_id, 1) == (PEOPLE, {"accepted": PEOPLE})


def test_a_freeze_interrupted_half_way_is_completed_by_asking_again(
    store: AlertsStore, tenant: str
) -> None:
    campaign_id = _campaign(store, tenant)
    states = _states()
    # What a crash half-way leaves: half of the recipients written, the marker still `writing`.
    store.freeze_recipients(tenant, campaign_id, 1, states[: PEOPLE // 2])
    store.client.set(store._msg(tenant, campaign_id, 1, "frozen"), "writing")

    assert store.freeze_recipients(tenant, campaign_id, 1, states)
    assert not store.freeze_recipients(tenant, campaign_id, 1, states)  # done: once

    assert store.counts(tenant, campaign_id, 1) == (PEOPLE, {"pending": PEOPLE})
    assert store.outstanding(tenant, campaign_id, 1) == PEOPLE  # nobody queued twice


def test_a_request_that_may_still_be_on_the_wire_is_settled_only_once_it_has_ended(
    store: AlertsStore, sandbox: SandboxProcess, tenant: str
) -> None:
    # Seen under load (three instances, kill -9 of one): an instance starved past its lease while
    # its request was on its way; another asked the provider too early, found nothing, sent again.
    sandbox.reset()
    campaign_id = _campaign(store, tenant)
    (state,) = _states()[:1]
    store.freeze_recipients(tenant, campaign_id, 1, [state])
    starved = _sender(store, sandbox, _never_runs)
    second = _sender(store, sandbox, _run)
    assert starved.step() == 1
    began = datetime.now(UTC)
    store.update_state(
        tenant, campaign_id, 1, state.key, {"status": "sending", "claimed_at": began.isoformat()}
    )
    store.drop_lease(starved.owner)  # it missed its lease: to the others it looks dead

    assert second.recover() == 0  # its request may still be waiting for the provider's answer

    long_ago = began - timedelta(seconds=second.config.settle_after_s + 1)
    store.update_state(tenant, campaign_id, 1, state.key, {"claimed_at": long_ago.isoformat()})
    assert second.recover() == 1  # now surely over: the provider is asked, then it is sent
    assert second.step() == 1
    assert sandbox.get("/sandbox/stats")["phones_by_messages_received"] == {"1": 1}
