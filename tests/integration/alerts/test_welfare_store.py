"""A person taking a case while the clock moves it on, on the real Redis: the take wins or
the step does, never a mix; the next contact is not called behind the taker's back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from contracts.deliveries import DeliveryFailed
from contracts.meals_events import EmergencyContact
from contracts.welfare import WelfareCase
from services.alerts.welfare import case as cases
from services.alerts.welfare.case import CaseChange, WelfareTiming
from services.alerts.welfare.desk import case_events
from services.alerts.welfare.store import WelfareStore
from services.common.settings import Settings
from tests.conftest import REDIS_URL, require_component

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 23, 10, 40, tzinfo=UTC)
TIMING = WelfareTiming(ack_delay_s=600, help_after_s=1800)
SOPHIE = EmergencyContact(name="Sophie", phone="+33612340201")
CARON = EmergencyContact(name="Michel Caron", phone="+33612340202")


@pytest.fixture
def store(tenant: str) -> Iterator[WelfareStore]:
    require_component("Redis", REDIS_URL, 6379)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    settings = Settings(AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/w-{uuid.uuid4().hex[:8]}")
    made = WelfareStore(client, settings)
    yield made
    for pattern in (f"{made.shared}:*", f"alerts:{tenant}:*"):
        for key in client.scan_iter(pattern, count=500):
            client.delete(key)
    client.close()


def _change(store: WelfareStore, tenant: str, case_id: str, decide: object) -> CaseChange | None:
    return store.change_case(
        tenant,
        case_id,
        decide,
        lambda c: case_events(tenant, c),
        cases.next_due,  # type: ignore[arg-type]
    )


def test_a_take_that_lands_while_the_clock_moves_on_wins_and_nobody_else_is_called(
    store: WelfareStore, tenant: str
) -> None:
    event = DeliveryFailed(
        delivery_id="d-9", commune="59350", recipient_name="Mme Leroy", reason="no_answer",
        attempted_at=T0, emergency_contacts=(SOPHIE, CARON),
    )  # fmt: skip
    case_id = cases.case_id_for(event)
    _change(store, tenant, case_id, lambda current: cases.open_case(event, T0, TIMING))
    later = T0 + timedelta(minutes=10)
    attempts: list[str] = []

    def advance_while_someone_takes_it(current: WelfareCase | None) -> CaseChange | None:
        assert current is not None
        if not attempts:  # the dispatcher's click lands between our read and our write
            _change(store, tenant, case_id, lambda c: cases.take(c, "dispatcher-1", later))
        attempts.append(current.status)
        return cases.advance(current, later, TIMING)

    _change(store, tenant, case_id, advance_while_someone_takes_it)
    final = store.case(tenant, case_id)

    assert attempts == ["calling", "taken"]  # the stale step was thrown away and re-decided
    assert final is not None and final.status == "taken" and final.current_contact == 0
    assert store.notice(tenant, f"{case_id}:1:voice") is None  # Michel is not called
    assert store.notice(tenant, f"{case_id}:0:voice") is not None
    assert store.take_due_cases(later.timestamp() + 3600, 30) == []  # nothing left on the clock
