"""What erasing a senior keeps of their meals, and how long the vans' positions are kept."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.meals import Order
from services.common.settings import SettingsError, load_settings
from services.routing.meals.erasure import anonymous_token, kept_order, scrubbed
from services.routing.positions_retention import DEFAULT_KEEP_DAYS, position_expired

AT = dt.datetime(2026, 11, 2, 10, 30, tzinfo=dt.UTC)
ORDER = Order(
    senior_id="s-lefebvre", day=dt.date(2026, 11, 2), choice_id="colin",
    choice_name="Colin sauce citron", texture="normale", diets=("sans_sel",),
    changed_by="famille-lefebvre", changed_at=AT, cutoff=AT,
)  # fmt: skip


def test_a_delivered_meal_stays_as_an_anonymous_count() -> None:
    token = anonymous_token()
    kept = kept_order(ORDER, delivered=True, token=token)
    assert kept is not None
    assert kept.senior_id == token and "lefebvre" not in kept.model_dump_json()
    assert (kept.choice_id, kept.diets, kept.day) == ("colin", ("sans_sel",), ORDER.day)


def test_meals_not_delivered_or_cancelled_go_entirely() -> None:
    cancelled = ORDER.model_copy(update={"status": "cancelled"})
    assert kept_order(ORDER, delivered=False, token=anonymous_token()) is None
    assert kept_order(cancelled, delivered=True, token=anonymous_token()) is None


def test_tokens_are_not_the_senior_and_never_repeat() -> None:
    tokens = {anonymous_token() for _ in range(100)}
    assert len(tokens) == 100 and not any("s-" in t for t in tokens)


def test_positions_are_kept_thirty_days_by_default() -> None:
    assert DEFAULT_KEEP_DAYS == 30
    assert not position_expired(AT, AT + dt.timedelta(days=29), DEFAULT_KEEP_DAYS)
    assert position_expired(AT, AT + dt.timedelta(days=31), DEFAULT_KEEP_DAYS)
    assert not position_expired(AT, AT + dt.timedelta(days=2), 3)


def test_a_plan_keeps_the_erased_seniors_stop_only_anonymous() -> None:
    mine, other = "meal-20261102-s-lefebvre", "meal-20261102-s-dubois"
    plan = {
        "vehicles": [{"stops": [
            {"id": mine, "location": [51.2983, 4.7331], "recipient_name": "Jeanne Lefebvre",
             "address": "rue Haute", "commune": "59350"},
            {"id": other, "location": [51.286, 4.802], "recipient_name": "Marcel Dubois"},
        ]}],
        "etas": {mine: 3600, other: 4000},
        "order": [mine, other],
    }  # fmt: skip
    clean = scrubbed(plan, mine, "meal-20261102-anonyme-1", [51.2667, 4.7125])
    first, second = clean["vehicles"][0]["stops"]
    assert first == {"id": "meal-20261102-anonyme-1", "location": [51.2667, 4.7125],
                     "recipient_name": "", "address": "", "commune": "59350"}  # fmt: skip
    assert second == plan["vehicles"][0]["stops"][1]
    assert "lefebvre" not in str(clean).lower() and "51.2983" not in str(clean)
    assert clean["order"] == ["meal-20261102-anonyme-1", other]


def test_the_positions_retention_is_configurable_and_refuses_nonsense() -> None:
    assert load_settings({}, {}).positions_retention_days == DEFAULT_KEEP_DAYS
    assert (
        load_settings({}, {"ROUTING_POSITIONS_RETENTION_DAYS": "7"}).positions_retention_days == 7
    )
    with pytest.raises(SettingsError, match="ROUTING_POSITIONS_RETENTION_DAYS"):
        load_settings({}, {"ROUTING_POSITIONS_RETENTION_DAYS": "0"})
