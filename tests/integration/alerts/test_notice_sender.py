"""Welfare and family notices leave exactly once through the real twilio SDK, the Twilio sandbox
and Redis, also when an instance died between sending and recording (it is asked first)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from services.alerts.channels.twilio import TwilioChannel, TwilioSettings
from services.alerts.welfare.notices import Notice
from services.alerts.welfare.sends import NoticeSender
from services.alerts.welfare.store import WelfareStore
from services.common.settings import Settings
from tests.conftest import REDIS_URL, require_component
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess

pytestmark = pytest.mark.integration

LEASE_S = 30.0


class Clock:
    """The sender's clock, moved by hand past a lease."""

    def __init__(self) -> None:
        self.now = time.time() + 1  # a moment after the notices are queued

    def __call__(self) -> float:
        return self.now


Parts = tuple[WelfareStore, NoticeSender, TwilioChannel, Clock]


@pytest.fixture
def parts(sandbox: SandboxProcess, tenant: str) -> Iterator[Parts]:
    require_component("Redis", REDIS_URL, 6379)
    sandbox.reset()
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    # A deployment of its own: no other run's sender takes these notices.
    settings = Settings(AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/n-{uuid.uuid4().hex[:8]}")
    store = WelfareStore(client, settings)
    channel = TwilioChannel(
        TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sms_sender="BOCAGE",
                       voice_caller="+33300000000", base_url=sandbox.base_url)
    )  # fmt: skip
    clock = Clock()
    yield store, NoticeSender(store, channel, None, lease_s=LEASE_S, clock=clock), channel, clock
    for pattern in (f"{store.shared}:*", f"alerts:{tenant}:*"):
        for key in client.scan_iter(pattern, count=500):
            client.delete(key)
    client.close()


def _sms(tenant: str, phone: str) -> Notice:
    return Notice(key=f"family:d-1:delivered:{tenant}", to=phone, channel="sms",
                  text="Bocage : le repas de Marie a été livré à 11h42.")  # fmt: skip


def test_queued_twice_sent_once(parts: Parts, sandbox: SandboxProcess, tenant: str) -> None:
    store, sender, _, _ = parts
    notice = _sms(tenant, "+33612340101")
    store.queue_notices(tenant, [notice])
    store.queue_notices(tenant, [notice])

    assert sender.send_due() == 1
    assert sender.send_due() == 0
    assert len(sandbox.phone(notice.to)["messages"]) == 1
    assert store.notice(tenant, notice.key)["status"] == "accepted"  # type: ignore[index]


def test_died_after_the_provider_accepted_it_recorded_not_resent(
    parts: Parts, sandbox: SandboxProcess, tenant: str
) -> None:
    store, sender, channel, clock = parts
    notice = _sms(tenant, "+33612340102")
    store.queue_notices(tenant, [notice])
    # An instance begins, the provider accepts, the instance dies before recording.
    assert store.begin_notice(tenant, notice.key, clock.now, LEASE_S)[0] == "send"
    sid = channel.send_sms(notice.to, notice.text, None).sid

    assert sender.send_due() == 0  # still leased to the dead instance: nobody touches it
    clock.now += LEASE_S + 1
    assert sender.send_due() == 1

    assert len(sandbox.phone(notice.to)["messages"]) == 1
    state = store.notice(tenant, notice.key)
    assert state is not None and (state["status"], state["sid"]) == ("accepted", sid)


def test_died_before_reaching_the_provider_sent_after_the_lease(
    parts: Parts, sandbox: SandboxProcess, tenant: str
) -> None:
    store, sender, _, clock = parts
    notice = _sms(tenant, "+33612340103")
    store.queue_notices(tenant, [notice])
    assert store.begin_notice(tenant, notice.key, clock.now, LEASE_S)[0] == "send"

    clock.now += LEASE_S + 1
    assert sender.send_due() == 1
    assert len(sandbox.phone(notice.to)["messages"]) == 1


def test_no_sms_to_a_number_that_replied_stop(
    parts: Parts, sandbox: SandboxProcess, tenant: str
) -> None:
    store, sender, _, _ = parts
    notice = _sms(tenant, "+33612340104")
    # What the inbound STOP webhook records (AlertsStore.set_global_opt_out), deployment-wide.
    store.client.hset(f"{store.shared}:optout", notice.to, "{}")
    store.queue_notices(tenant, [notice])

    assert sender.send_due() == 0
    assert sandbox.phone(notice.to)["messages"] == []
    assert store.notice(tenant, notice.key)["status"] == "opted_out"  # type: ignore[index]
