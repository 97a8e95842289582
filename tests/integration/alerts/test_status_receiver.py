"""The status receiver on the real Redis: signed callbacks move recipients forward in batches,
the ones the service must judge wait in its stream, and bad requests get a clear status."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis.asyncio as aioredis
from twilio.request_validator import RequestValidator

from services.alerts.status_batch import STREAM_GROUP, stream_key
from services.alerts.status_receiver import PATH, StatusReceiver
from services.alerts.store import AlertsStore
from tests.integration.alerts.sending_campaign import sending_campaign, sms_states
from tests.sandbox_process import AUTH_TOKEN

pytestmark = pytest.mark.integration

BASE = "https://bocage.example"
PEOPLE = 4


def phone(i: int) -> str:
    return f"+336120000{i:02d}"


@pytest.fixture
def campaign(store: AlertsStore, tenant: str) -> Iterator[str]:
    campaign_id = sending_campaign(store, tenant)
    store.freeze_recipients(tenant, campaign_id, 1, sms_states(PEOPLE, phone))
    for key, _, _ in store.claim_and_begin(tenant, campaign_id, 1, PEOPLE, "sender"):
        store.finish_send(tenant, campaign_id, 1, key, "accepted", f"SM-{key}", time.time() + 300)
    yield campaign_id
    store.client.delete(stream_key(store.deployment))


def _query(tenant: str, campaign_id: str, i: int) -> str:
    key = f"p{i}:{phone(i)}:sms"
    return urlencode({"tenant": tenant, "campaign": campaign_id, "message": 1, "key": key})


def _signed(query: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, Any]:
    signature = RequestValidator(token).compute_signature(f"{BASE}{PATH}?{query}", params)
    return {"url": f"{PATH}?{query}", "data": params,
            "headers": {"X-Twilio-Signature": signature}}  # fmt: skip


def _status(status: str, error: str = "") -> dict[str, str]:
    params = {"AccountSid": "AC1", "MessageSid": "SM-x", "MessageStatus": status, "To": "+33"}
    return {**params, "ErrorCode": error} if error else params


def _post_all(
    store: AlertsStore, requests: list[dict[str, Any]], redis_url: str | None = None
) -> list[httpx.Response]:
    """The requests at once through one receiver (so they share batches), in order."""

    async def run() -> list[httpx.Response]:
        receiver = StatusReceiver()
        client = aioredis.Redis.from_url(redis_url or _url(store), decode_responses=True)
        receiver.configure(AUTH_TOKEN, BASE, client, store.deployment)
        transport = httpx.ASGITransport(app=receiver)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
                return list(await asyncio.gather(*(http.post(**r) for r in requests)))
        finally:
            await client.aclose()

    return asyncio.run(run())


def _url(store: AlertsStore) -> str:
    kwargs = store.client.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs['db']}"


def test_signed_statuses_move_recipients_forward_whatever_their_order(
    store: AlertsStore, tenant: str, campaign: str
) -> None:
    answers = _post_all(
        store,
        [
            _signed(_query(tenant, campaign, 0), _status("sent")),
            _signed(_query(tenant, campaign, 0), _status("delivered")),
            # Overtaken: "delivered" arrives before "sent", which must not move it back.
            _signed(_query(tenant, campaign, 1), _status("delivered")),
            _signed(_query(tenant, campaign, 1), _status("sent")),
            _signed(_query(tenant, campaign, 2), _status("sent")),
        ],
    )
    assert [a.status_code for a in answers] == [204] * 5, [a.text for a in answers]
    statuses = [store.state(tenant, campaign, 1, f"p{i}:{phone(i)}:sms") for i in range(PEOPLE)]
    assert [s.status if s else None for s in statuses] == ["delivered", "delivered", "sent",
                                                          "accepted"]  # fmt: skip
    assert statuses[0] is not None and statuses[0].sid == "SM-x"
    _, counts = store.counts(tenant, campaign, 1)
    assert counts == {"delivered": 2, "sent": 1, "accepted": 1}
    assert store.client.xlen(stream_key(store.deployment)) == 0  # nothing left for the service
    # The two delivered no longer wait for a receipt; the provider will be asked of the others.
    assert store.receipts_awaited() == PEOPLE - 2


def test_an_sms_that_did_not_arrive_waits_for_the_service_unchanged(
    store: AlertsStore, tenant: str, campaign: str
) -> None:
    failed = _signed(_query(tenant, campaign, 3), _status("undelivered", "30003"))
    (answer,) = _post_all(store, [failed])
    assert answer.status_code == 204
    state = store.state(tenant, campaign, 1, f"p3:{phone(3)}:sms")
    assert state is not None and state.status == "accepted"  # the service decides (a call?)
    stream = stream_key(store.deployment)
    ((_, fields),) = store.client.xrange(stream)
    assert fields["url"] == f"{BASE}{failed['url']}"
    assert json.loads(fields["params"])["ErrorCode"] == "30003"
    # The service's consumer group, created later, still gets it (it reads from the start).
    store.client.xgroup_create(stream, STREAM_GROUP, id="0")
    read = store.client.xreadgroup(STREAM_GROUP, "t", {stream: ">"}, count=10)
    assert len(read[0][1]) == 1


def test_notice_receipts_go_to_the_service_and_a_url_naming_nothing_is_refused(
    store: AlertsStore, tenant: str, campaign: str
) -> None:
    notice = urlencode({"tenant": tenant, "notice": "n-1"})
    nothing = urlencode({"tenant": tenant, "campaign": campaign})
    answers = _post_all(
        store, [_signed(notice, _status("delivered")), _signed(nothing, _status("delivered"))]
    )
    assert [a.status_code for a in answers] == [204, 400]
    assert "names no campaign recipient" in answers[1].json()["detail"]
    assert store.client.xlen(stream_key(store.deployment)) == 1


def test_bad_requests_get_a_clear_status_and_change_nothing(
    store: AlertsStore, tenant: str, campaign: str
) -> None:
    query = _query(tenant, campaign, 0)
    good = _signed(query, _status("delivered"))
    answers = _post_all(
        store,
        [
            {**good, "headers": {}},
            _signed(query, _status("delivered"), token="another-account"),
            {**good, "data": {**good["data"], "MessageStatus": "failed"}},  # altered
            {**good, "data": None, "content": b"{}",
             "headers": {**good["headers"], "content-type": "application/json"}},
            {**good, "data": {"Body": "x" * 70_000}},
            {"url": "/elsewhere", "data": {}},
        ],
    )  # fmt: skip
    assert [a.status_code for a in answers] == [400, 403, 403, 415, 413, 404]
    assert "X-Twilio-Signature" in answers[0].json()["detail"]
    assert "signature does not match" in answers[1].json()["detail"]
    state = store.state(tenant, campaign, 1, f"p0:{phone(0)}:sms")
    assert state is not None and state.status == "accepted"


def test_without_redis_the_provider_is_told_503_to_try_again(
    store: AlertsStore, tenant: str, campaign: str
) -> None:
    good = _signed(_query(tenant, campaign, 0), _status("delivered"))
    (answer,) = _post_all(store, [good], redis_url="redis://127.0.0.1:1/0")
    assert answer.status_code == 503
    assert "unreachable" in answer.json()["detail"]
