from __future__ import annotations

import pytest

from services.alerts.feeds import FeedError
from services.alerts.feeds.phenomena import as_level, level_for_cap, phenomenon_for_cap

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("event", "phenomenon"),
    [
        ("Flash Flood Watch", "pluie_inondation"),
        ("Flood Warning", "crues"),
        ("Tsunami Warning", "vagues_submersion"),
        ("SEVERE THUNDERSTORM", "orages"),
        ("Vigilance vent violent", "vent_violent"),
        ("Earthquake", "autre"),
    ],
)
def test_cap_events_map_to_vigilance_phenomena(event: str, phenomenon: str) -> None:
    assert phenomenon_for_cap(event, {}) == phenomenon


def test_meteoalarm_awareness_parameters_win_over_the_event_text() -> None:
    params = {"awareness_type": "7; coastalevent", "awareness_level": "4; red; Extreme"}

    assert phenomenon_for_cap("Yellow Wind Warning", params) == "vagues_submersion"
    assert level_for_cap("Moderate", params) == 4


@pytest.mark.parametrize(
    ("severity", "level"), [("Minor", 1), ("Moderate", 2), ("Severe", 3), ("Extreme", 4)]
)
def test_cap_severity_maps_to_the_colour(severity: str, level: int) -> None:
    assert level_for_cap(severity, {}) == level


def test_a_colour_outside_1_to_4_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match="somewhere: colour 0 is not a vigilance level"):
        as_level(0, "somewhere")
