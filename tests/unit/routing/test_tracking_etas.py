"""Live ETAs, pure: from the time to the next stop and the round's legs, with windows and
service, and which ETAs moved enough to publish."""

from __future__ import annotations

import pytest

from services.routing.tracking.etas import (
    RemainingStop,
    legs_between,
    moved,
    remaining_etas,
    stops_before,
)

pytestmark = pytest.mark.unit

ELEVEN = 11 * 3600


def test_etas_add_the_legs_and_the_service_and_wait_for_a_window() -> None:
    stops = [
        RemainingStop("a", 0, 120),
        RemainingStop("b", 0, 120),
        RemainingStop("c", ELEVEN + 3600, 120),  # opens at noon
    ]
    etas = remaining_etas(ELEVEN, 300, [600, 60], stops)
    assert etas == {"a": ELEVEN + 300, "b": ELEVEN + 300 + 120 + 600, "c": ELEVEN + 1020 + 180}
    # Twenty minutes late at the start: every later stop moves, until a window absorbs it.
    late = remaining_etas(ELEVEN + 1200, 300, [600, 60], stops)
    assert moved(etas, late) == ["a", "b", "c"]
    assert moved(etas, remaining_etas(ELEVEN + 60, 300, [600, 60], stops)) == []


def test_a_stop_done_out_of_order_is_passed_by() -> None:
    assert legs_between(["a", "b", "c", "d"], [10, 20, 30], ["a", "c", "d"]) == [30.0, 30.0]
    assert stops_before(["b", "c", "d"], "d") == 2
