"""What erasing a senior keeps of their meals, and how long the vans' positions are kept."""

from __future__ import annotations

import datetime as dt

from contracts.meals import Order
from services.routing.meals.erasure import anonymous_token, kept_order
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
