"""The French speed profile and the reading of maxspeed tags."""

from __future__ import annotations

import pytest

from services.routing import speeds

pytestmark = pytest.mark.unit


def test_road_classes_follow_the_documented_table() -> None:
    assert speeds.speed_kph("motorway") == 130
    assert speeds.speed_kph("primary") == 80
    assert speeds.speed_kph("secondary") == 80
    assert speeds.speed_kph("residential") == 30
    assert speeds.speed_kph("living_street") == 20
    assert speeds.speed_kph("service") == 20


@pytest.mark.parametrize(
    ("tag", "kph"),
    [
        ("50", 50),
        ("50 km/h", 50),
        ("30 mph", 30 * 1.609344),
        ("50;70", 50),
        ("FR:urban", 50),
        ("FR:rural", 80),
        ("FR:motorway", 130),
        ("FR:zone30", 30),
        ("BE-VLG:urban", 50),
        ("walk", 6),
    ],
)
def test_a_readable_maxspeed_overrides_the_class(tag: str, kph: float) -> None:
    assert speeds.speed_kph("unclassified", tag) == pytest.approx(max(kph, speeds.MIN_KPH))


@pytest.mark.parametrize("tag", ["signals", "none", "variable", "", "0", "-20", None])
def test_an_unreadable_maxspeed_keeps_the_class_default(tag: str | None) -> None:
    assert speeds.speed_kph("tertiary", tag) == speeds.DEFAULT_KPH["tertiary"]


def test_merged_edges_use_the_slowest_class_and_lowest_limit() -> None:
    assert speeds.speed_kph(["primary", "residential"]) == 30
    assert speeds.speed_kph(["primary"], ["90", "70"]) == 70


def test_speeds_never_exceed_the_french_maximum() -> None:
    assert speeds.speed_kph("motorway", "200") == 130


def test_a_class_vans_cannot_use_is_refused() -> None:
    assert not speeds.is_drivable_class("footway")
    with pytest.raises(ValueError, match="footway"):
        speeds.speed_kph("footway")


def test_the_fingerprint_is_stable() -> None:
    assert speeds.profile_fingerprint() == speeds.profile_fingerprint()
