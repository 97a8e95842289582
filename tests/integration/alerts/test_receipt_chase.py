"""Receipts that never came, on the real Redis, the real twilio SDK and the sandbox posting no
callbacks: the provider is asked once the time has come, what it says is applied as its callback
would have been (the SMS that did not arrive becomes a call), and a provider that cannot be
asked is asked again later, nothing dropped."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from contracts.alerts import CampaignRequest, Contact, ContactPhone
from services.alerts.channels.twilio import TwilioChannel, TwilioSettings
from services.alerts.dependencies import EngineHandle
from services.alerts.keys import receipts_due_key
from services.alerts.receipt_chase import RETRY_UNREACHABLE_S, ChasePolicy, chase_receipts
from services.alerts.sender import CampaignSender, SenderConfig
from services.alerts.settings import load_alerts_settings
from services.alerts.store import AlertsStore
from tests.integration.alerts.sending_campaign import sending_campaign, sms_states
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

PEOPLE = 3
CHASE_AFTER_S = 300.0
POLICY = ChasePolicy(first_after_s=CHASE_AFTER_S, give_up_s=86400.0)


def _phone(i: int) -> str:
    return f"+336630000{i:02d}"


NOT_ARRIVING = _phone(2)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    """No status callbacks at all; the SMS to NOT_ARRIVING ends `undelivered`."""
    env = {"SANDBOX_CALLBACKS": "off", "SANDBOX_UNDELIVERED_NUMBERS": NOT_ARRIVING}
    process = SandboxProcess(free_port(), env=env).start()
    yield process
    process.stop()


def _engine(store: AlertsStore, base_url: str) -> EngineHandle:
    channel = TwilioChannel(
        TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sms_sender="BOCAGE",
                       voice_caller="+33300000000", base_url=base_url)
    )  # fmt: skip
    config = SenderConfig(public_base_url=None, batch=10, receipt_chase_after_s=CHASE_AFTER_S)
    sender = CampaignSender(store, channel, config, spawn=_run)
    settings = load_alerts_settings(
        {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}, environ={}
    )
    return EngineHandle(sender=sender, settings=settings)


def _run(fn: Any, *args: Any) -> None:
    fn(*args)


def _sms_then_voice_campaign(store: AlertsStore, tenant: str) -> str:
    campaign_id = sending_campaign(store, tenant)
    campaign = store.campaign(tenant, campaign_id)
    assert campaign is not None
    request = CampaignRequest.model_validate(
        {**campaign.request.model_dump(), "channels": ("sms", "voice")}
    )
    store.save_campaign(campaign.model_copy(update={"request": request}))
    store.freeze_recipients(tenant, campaign_id, 1, sms_states(PEOPLE, _phone))
    return campaign_id


@pytest.fixture
def sent(store: AlertsStore, sandbox: SandboxProcess, tenant: str) -> tuple[EngineHandle, str]:
    """An SMS-then-voice campaign to PEOPLE, sent, no callback to come: (engine, campaign)."""
    sandbox.reset()
    engine = _engine(store, sandbox.base_url)
    campaign_id = _sms_then_voice_campaign(store, tenant)
    assert engine.sender.step() == PEOPLE
    return engine, campaign_id


def _settled_at_the_provider(
    engine: EngineHandle, store: AlertsStore, tenant: str, cid: str
) -> bool:
    sids = [s.sid for s in store.states(tenant, cid, 1) if s.sid]
    answers = [engine.sender.channel.sms_status(sid) for sid in sids]
    return len(sids) == PEOPLE and all(
        a is not None and a.status in {"delivered", "undelivered"} for a in answers
    )


def test_sends_with_no_receipt_are_asked_of_the_provider_once_their_time_has_come(
    store: AlertsStore, sandbox: SandboxProcess, tenant: str, sent: tuple[EngineHandle, str]
) -> None:
    engine, campaign_id = sent
    assert store.counts(tenant, campaign_id, 1) == (PEOPLE, {"accepted": PEOPLE})
    wait_for(
        "the sandbox to settle every SMS",
        lambda: _settled_at_the_provider(engine, store, tenant, campaign_id),
    )

    # Before their time, nobody is asked: a callback may still come.
    assert chase_receipts(store, engine, POLICY, time.time()).looked_at == 0

    tally = chase_receipts(store, engine, POLICY, time.time() + CHASE_AFTER_S + 1)

    assert (tally.asked, tally.settled) == (PEOPLE, PEOPLE)
    by_key = {s.key: s for s in store.states(tenant, campaign_id, 1)}
    sms = {s.e164: s.status for s in by_key.values() if s.channel == "sms"}
    assert sms == {_phone(0): "delivered", _phone(1): "delivered", NOT_ARRIVING: "undelivered"}
    # The SMS that did not arrive becomes a call, as its callback would have made it.
    calls = [s for s in by_key.values() if s.channel == "voice"]
    assert [(c.e164, c.status) for c in calls] == [(NOT_ARRIVING, "pending")]
    assert store.receipts_awaited() == 0

    assert engine.sender.step() == 1
    assert len(sandbox.phone(NOT_ARRIVING)["calls"]) == 1
    assert store.receipts_awaited() == 1  # the call now waits for its own final status


def test_a_provider_that_cannot_be_asked_is_asked_again_later(
    store: AlertsStore, tenant: str, sent: tuple[EngineHandle, str]
) -> None:
    engine, campaign_id = sent
    unreachable = _engine(store, f"http://127.0.0.1:{free_port()}")
    later = time.time() + CHASE_AFTER_S + 1

    tally = chase_receipts(store, unreachable, POLICY, later)

    assert (tally.asked, tally.settled) == (PEOPLE, 0)
    assert store.counts(tenant, campaign_id, 1) == (PEOPLE, {"accepted": PEOPLE})
    assert chase_receipts(store, engine, POLICY, later).looked_at == 0  # not before its retry
    wait_for(
        "the sandbox to settle every SMS",
        lambda: _settled_at_the_provider(engine, store, tenant, campaign_id),
    )
    tally = chase_receipts(store, engine, POLICY, later + RETRY_UNREACHABLE_S)
    assert tally.settled == PEOPLE


def test_a_final_status_however_it_comes_ends_the_wait(
    store: AlertsStore, tenant: str, sent: tuple[EngineHandle, str]
) -> None:
    _, campaign_id = sent
    first = min(s.key for s in store.states(tenant, campaign_id, 1))

    store.update_state(tenant, campaign_id, 1, first, {"status": "sent"})
    assert store.receipts_awaited() == PEOPLE  # on its way: still awaited
    store.update_state(tenant, campaign_id, 1, first, {"status": "delivered"})
    assert store.receipts_awaited() == PEOPLE - 1


def test_a_sid_the_provider_does_not_know_is_asked_no_more(
    store: AlertsStore, tenant: str, sent: tuple[EngineHandle, str]
) -> None:
    engine, campaign_id = sent
    wait_for(
        "the sandbox to settle every SMS",
        lambda: _settled_at_the_provider(engine, store, tenant, campaign_id),
    )
    first = min(s.key for s in store.states(tenant, campaign_id, 1))
    # As after a provider account change: the SID recorded is not the provider's any more.
    store.update_state(tenant, campaign_id, 1, first, {"sid": "SM" + "0" * 32})

    tally = chase_receipts(store, engine, POLICY, time.time() + CHASE_AFTER_S + 1)

    assert tally.asked == PEOPLE
    unknown = store.state(tenant, campaign_id, 1, first)
    assert unknown is not None and unknown.status == "accepted"  # nothing made up
    assert store.receipts_awaited() == 0


def test_an_erased_persons_receipt_is_still_awaited_without_their_number_and_never_calls(
    store: AlertsStore, sandbox: SandboxProcess, tenant: str, sent: tuple[EngineHandle, str]
) -> None:
    engine, campaign_id = sent
    wait_for(
        "the sandbox to settle every SMS",
        lambda: _settled_at_the_provider(engine, store, tenant, campaign_id),
    )
    phones = (ContactPhone(e164=NOT_ARRIVING, kind="mobile"),)
    erased = Contact(
        contact_id="p2", full_name="Durand", phones=phones, commune="59043",
        consent_date=dt.date(2025, 2, 1), consent_source="test",
    )  # fmt: skip

    assert store.redact_recipients(tenant, erased) == 1

    due = store.client.zrange(receipts_due_key(store.deployment), 0, -1)
    assert len(due) == PEOPLE and not any(NOT_ARRIVING in member for member in due)
    tally = chase_receipts(store, engine, POLICY, time.time() + CHASE_AFTER_S + 1)
    assert tally.settled == PEOPLE
    outcomes = sorted(s.status for s in store.states(tenant, campaign_id, 1))
    assert outcomes == ["delivered", "delivered", "undelivered"]  # the report keeps the outcome
    assert engine.sender.step() == 0 and sandbox.phone(NOT_ARRIVING)["calls"] == []
