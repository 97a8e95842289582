"""Campaign progress and welfare steps reach the live pages by event, not by polling (issue 14).

The streams' safety-net poll is pushed out to ten minutes here (`live.FALLBACK_S`, and `POLL_S`
for a feed not yet bound), far beyond the stream's read timeout: whatever a stream shows after
its first frame came because the alerts service published an event and the gateway's feed woke
that stream. Each stream's fetches are counted: one per event heard, never one a second.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import Request
from fastapi.responses import StreamingResponse

from contracts.gateway_alerts import CampaignDetail
from contracts.users import Role
from services.gateway import live
from services.gateway.fanout import Subscription

from .alert_builders import campaign_request, import_csv, mobile, person
from .conftest import PASSWORD
from .test_alerts_live import events_until_done, send
from .test_welfare_http import CASE, _publish_failed_delivery

pytestmark = pytest.mark.integration

NO_POLL_S = 600.0


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Polling pushed out of reach; returns the list every campaign-stream fetch appends to."""
    monkeypatch.setattr(live, "FALLBACK_S", NO_POLL_S)
    monkeypatch.setattr(live, "POLL_S", NO_POLL_S)
    counted: list[str] = []
    real = live.progress_response

    def counting(
        request: Request,
        fetch: Callable[[], CampaignDetail],
        first: CampaignDetail,
        wake: Subscription | None = None,
    ) -> StreamingResponse:
        def fetch_counted() -> CampaignDetail:
            counted.append("fetch")
            return fetch()

        return real(request, fetch_counted, first, wake)

    monkeypatch.setattr(live, "progress_response", counting)
    return counted


@pytest.fixture
def http(live_gateway: str) -> Iterator[httpx.Client]:
    # A stream that waited for a poll would stall: the read timeout fails the test instead.
    with httpx.Client(base_url=live_gateway, timeout=30) as client:
        yield client


def _login(http: httpx.Client, username: str) -> dict[str, str]:
    answer = http.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_campaign_stream_follows_its_progress_events_to_done_without_polling(
    http: httpx.Client, role_users: dict[Role, str], fetches: list[str]
) -> None:
    mayor = _login(http, role_users[Role.MAYOR])
    rows = [person(f"Martin{i}", mobile()) for i in range(4)]
    assert import_csv(http, mayor, rows)["imported"] == 4
    campaign_id = send(http, mayor, campaign_request(channels=("sms",)))

    events = events_until_done(http, f"/campaigns/{campaign_id}/events", mayor)

    final = events[-1][1]
    assert final["done"] and final["progress"][0]["by_status"] == {"delivered": 4}
    progress = [data for name, data in events if name == "progress"]
    assert len(progress) >= 2, "only the first frame: nothing came by event"
    # Each fetch was a wake-up by an event: a handful for the whole campaign (sending, accepted,
    # sent, delivered, coalesced), where a once-a-second poll would make one per second.
    assert 1 <= len(fetches) <= 20, fetches


def test_a_welfare_step_shows_on_the_dispatchers_stream_by_event(
    http: httpx.Client,
    services_amqp_uri: str,
    role_users: dict[Role, str],
    tenant: str,
    fetches: list[str],
) -> None:
    dispatcher = _login(http, role_users[Role.DISPATCHER])
    seen: list[list[dict[str, Any]]] = []
    acted: set[str] = set()
    with http.stream("GET", "/welfare-cases/live", headers=dispatcher) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if not line.startswith("data: "):
                continue
            seen.append(json.loads(line.removeprefix("data: ")))
            case = seen[-1][0] if seen[-1] else None
            if case is None and not acted:
                acted.add("reported")
                _publish_failed_delivery(services_amqp_uri, tenant, mobile())
            elif case and case["status"] == "calling" and "taken" not in acted:
                # No event announced a take before welfare_check_updated: with polling out of
                # reach, the stream would have waited ten minutes to show it.
                acted.add("taken")
                taken = http.post(f"/welfare-cases/{CASE}/take", headers=dispatcher)
                assert taken.status_code == 200, taken.text
            elif case and case["status"] == "taken" and "outcome" not in acted:
                acted.add("outcome")
                body = {"outcome": "planned_absence", "note": "chez sa fille"}
                recorded = http.post(
                    f"/welfare-cases/{CASE}/outcome", json=body, headers=dispatcher
                )
                assert recorded.status_code == 200, recorded.text
            elif case and case["outcome"]:
                break

    assert seen[0] == []
    statuses = [(c[0]["status"], c[0]["outcome"]) for c in seen[1:]]
    assert ("calling", None) in statuses and ("taken", None) in statuses
    assert statuses[-1] == ("taken", "planned_absence")
    final = seen[-1][0]
    kinds = [s["kind"] for s in final["history"]]
    assert "acknowledged" in kinds and kinds[-1] == "outcome_recorded"
