from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.feeds import (
    CapAlert,
    CapArea,
    CapInfo,
    CapReference,
    CapValue,
    FeedLevel,
    KnownLevel,
    Level,
)
from services.alerts.feeds import apply_snapshot, levels_from_cap
from services.alerts.feeds.levels import cap_key

pytestmark = pytest.mark.unit

NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)


def reach(level: Level, *, until: datetime | None = None) -> FeedLevel:
    return FeedLevel(
        source="vigicrues",
        key="vigicrues:AG7",
        level=level,
        phenomenon="crues",
        event="crues",
        area_kind="reach",
        area_ids=("AG7",),
        area_label="Lys amont",
        valid_to=until,
        reference="Vigicrues 23112026_10, tronçon AG7",
    )


def known_after(*snapshots: list[FeedLevel]) -> dict[str, KnownLevel]:
    state: dict[str, KnownLevel] = {}
    for snapshot in snapshots:
        state = apply_snapshot(state, snapshot).state
    return state


def test_a_new_item_at_jaune_or_above_is_raised_once() -> None:
    outcome = apply_snapshot({}, [reach(3)])

    assert [(c.kind, c.key, c.previous_level) for c in outcome.changes] == [
        ("raised", "vigicrues:AG7", None)
    ]


def test_a_new_item_at_vert_is_remembered_but_changes_nothing() -> None:
    outcome = apply_snapshot({}, [reach(1)])

    assert outcome.changes == [] and "vigicrues:AG7" in outcome.state


def test_a_repeated_snapshot_changes_nothing() -> None:
    state = known_after([reach(3)])

    outcome = apply_snapshot(state, [reach(3)])

    assert outcome.changes == []
    assert outcome.state == state


def test_a_raised_level_yields_exactly_one_change() -> None:
    state = known_after([reach(2)])

    outcome = apply_snapshot(state, [reach(3)])

    assert [(c.kind, c.previous_level, c.feed.level) for c in outcome.changes] == [("raised", 2, 3)]
    assert apply_snapshot(outcome.state, [reach(3)]).changes == []


def test_a_lowered_level_ends_the_warning() -> None:
    state = known_after([reach(3)])

    (change,) = apply_snapshot(state, [reach(2)]).changes

    assert (change.kind, change.previous_level, change.feed.level) == ("ended", 3, 2)


def test_a_longer_validity_at_the_same_level_is_an_update() -> None:
    state = known_after([reach(3, until=NOON)])

    (change,) = apply_snapshot(state, [reach(3, until=NOON + timedelta(hours=6))]).changes

    assert change.kind == "updated"


def test_an_item_missing_from_a_partial_snapshot_is_not_ended() -> None:
    state = known_after([reach(3)])

    assert apply_snapshot(state, []).changes == []


# --- CAP chains ------------------------------------------------------------------------------

SENDER = "vigilance@meteo.fr"


def cap(
    identifier: str,
    msg_type: str = "Alert",
    severity: str = "Severe",
    refs: tuple[str, ...] = (),
    status: str = "Actual",
    with_info: bool = True,
) -> CapAlert:
    info = CapInfo(
        language="fr-FR",
        categories=("Met",),
        event="Crues",
        urgency="Expected",
        severity=severity,
        certainty="Likely",
        headline="Vigilance crues sur la Lys",
        areas=(
            CapArea(
                description="Armentières",
                geocodes=(CapValue(name="INSEE", value="59017"),),
                insee_codes=("59017",),
            ),
        ),
    )
    return CapAlert.model_validate(
        {
            "cap_version": "1.2",
            "identifier": identifier,
            "sender": SENDER,
            "sent": NOON,
            "status": status,
            "msg_type": msg_type,
            "scope": "Public",
            "references": tuple(
                CapReference(sender=SENDER, identifier=r, sent=NOON.isoformat()) for r in refs
            ),
            "infos": (info,) if with_info else (),
        }
    )


def run(*alerts: CapAlert) -> list[tuple[str, str]]:
    state: dict[str, KnownLevel] = {}
    seen: list[tuple[str, str]] = []
    for alert in alerts:
        outcome = apply_snapshot(state, levels_from_cap(alert))
        state = outcome.state
        seen += [(c.kind, c.key) for c in outcome.changes]
    return seen


FIRST = cap_key(SENDER, "A1")


def test_cap_severity_gives_the_colour_and_insee_codes_the_area() -> None:
    (level,) = levels_from_cap(cap("A1", severity="Extreme"))

    assert (level.level, level.phenomenon, level.area_ids) == (4, "crues", ("59017",))


def test_cap_update_updates_the_first_alert_rather_than_raising_a_new_one() -> None:
    changes = run(
        cap("A1"),
        cap("A2", "Update", severity="Extreme", refs=("A1",)),
        cap("A3", "Update", severity="Extreme", refs=("A2",)),
    )

    assert changes == [("raised", FIRST), ("raised", FIRST)]


def test_a_repeated_cap_message_or_a_late_older_one_changes_nothing() -> None:
    changes = run(cap("A1"), cap("A1"), cap("A2", "Update", "Extreme", ("A1",)), cap("A1"))

    assert changes == [("raised", FIRST), ("raised", FIRST)]


def test_cap_cancel_ends_the_chain_even_without_info() -> None:
    state = known_after(levels_from_cap(cap("A1")))

    outcome = apply_snapshot(
        state, levels_from_cap(cap("C1", "Cancel", refs=("A1",), with_info=False))
    )

    (change,) = outcome.changes
    assert (change.kind, change.key, change.previous_level) == ("ended", FIRST, 3)
    assert change.feed.cancelled and change.feed.phenomenon == "crues"
    again = levels_from_cap(cap("C1", "Cancel", refs=("A1",), with_info=False))
    assert apply_snapshot(outcome.state, again).changes == []


def test_cap_test_and_exercise_messages_never_raise_anything() -> None:
    assert levels_from_cap(cap("T1", status="Test")) == []
    assert levels_from_cap(cap("T2", status="Exercise")) == []
