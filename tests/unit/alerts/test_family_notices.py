"""The family's SMS: "about 15 minutes away" and "delivered at", short French texts (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.meals_events import DeliveryCompleted, DeliveryEtaUpdated, FamilyNotice
from services.alerts.segments import analyse
from services.alerts.welfare.family import approaching_notices, delivered_notices, final_receipt

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
ANNE = FamilyNotice(username="anne", phone="+33612345670")
PAUL = FamilyNotice(username="paul", phone="+33612345671")


def _eta(minutes: float) -> DeliveryEtaUpdated:
    return DeliveryEtaUpdated(
        delivery_id="d-42", senior_id="s-1", senior_first_name="Marie", round_id="r-1",
        vehicle_id="van-1", day="2026-11-23", eta=NOW + timedelta(minutes=minutes),
        stops_before=2, computed_at=NOW, notify=(ANNE, PAUL),
    )  # fmt: skip


def test_nothing_while_far_then_one_sms_per_person_keyed_for_good() -> None:
    assert approaching_notices(_eta(40), 15) == ()
    near = approaching_notices(_eta(13), 15)
    jitter = approaching_notices(_eta(14), 15)

    assert [n.to for n in near] == [ANNE.phone, PAUL.phone]
    assert near[0].text == "Bocage : le repas de Marie arrive dans environ 15 min (vers 11h43)."
    assert [n.key for n in jitter] == [n.key for n in near]
    assert near[0].key == "family:d-42:approaching:anne"


def test_delivered_says_the_time_in_paris_in_gsm7() -> None:
    event = DeliveryCompleted(
        delivery_id="d-42", senior_id="s-1", senior_first_name="Marie", round_id="r-1",
        day="2026-11-23", delivered_at=NOW + timedelta(minutes=12), reported_by="driver-1",
        notify=(ANNE,),
    )  # fmt: skip
    (notice,) = delivered_notices(event)

    assert notice.text == "Bocage : le repas de Marie a été livré à 11h42."
    assert analyse(notice.text).encoding == "GSM-7" and analyse(notice.text).segments == 1
    assert notice.key == "family:d-42:delivered:anne"


def test_only_a_family_sms_final_status_becomes_a_receipt_for_routing() -> None:
    at = datetime(2026, 11, 23, 10, 52, tzinfo=UTC)
    key = "family:meal-20261123-s-1:approaching:anne"
    found = final_receipt(key, "undelivered", "30003", at)
    assert found is not None
    assert (found.delivery_id, found.kind, found.username) == (
        "meal-20261123-s-1",
        "approaching",
        "anne",
    )
    assert (found.status, found.error_code, found.at) == ("undelivered", "30003", at)
    assert final_receipt(key, "sent", None, at) is None  # on its way
    assert final_receipt("welfare:d-42:2026-11-23:0:sms", "delivered", None, at) is None
    assert final_receipt("family:d-1:other:anne", "delivered", None, at) is None
