from __future__ import annotations

import copy
from typing import Any

import pytest
from shapely.geometry import Point, shape

from contracts.feeds import ReachGeometry
from services.alerts.feeds import FeedError, parse_infovigicru
from services.alerts.feeds.reach_zone import distance_to_reach_m, flood_zone, is_near_reach

pytestmark = pytest.mark.unit

# A straight reach along the parallel 48.0 N, 0.1 degree long (about 7.4 km).
LAT = 48.0
STRAIGHT = ReachGeometry(type="LineString", lines=(((1.0, LAT), (1.1, LAT)),))
METRES_PER_DEGREE_LAT = 111_195.0

COLLECTION: dict[str, Any] = {
    "type": "FeatureCollection",
    "RefInfoVigiCru": "23112026_10",
    "DtHrInfoVigiCru": "2026-11-23T09:55:00+00:00",
    "features": [
        {
            "type": "Feature",
            "properties": {"CdEntCru": "AG7", "lbentcru": "Lys amont", "NivInfViCr": 3},
            "geometry": {"type": "LineString", "coordinates": [[2.5, 50.6, 20.0], [2.6, 50.65]]},
        },
        {
            "type": "Feature",
            "properties": {"CdEntCru": "AG8", "lbentcru": "Lys aval", "NivInfViCr": "2"},
            "geometry": {
                "type": "MultiLineString",
                "coordinates": [[[2.6, 50.65], [2.7, 50.7]], [[2.7, 50.7], [2.8, 50.7]]],
            },
        },
    ],
}


def test_reaches_keep_their_code_name_level_and_course() -> None:
    first, second = parse_infovigicru(COLLECTION)

    assert (first.reach_id, first.name, first.level) == ("AG7", "Lys amont", 3)
    assert first.geometry.lines == (((2.5, 50.6), (2.6, 50.65)),)  # altitude dropped
    assert second.level == 2 and len(second.geometry.lines) == 2
    assert first.bulletin == "23112026_10" and first.published_at is not None


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d["features"][0]["properties"].pop("NivInfViCr"), "reach AG7.*has no level"),
        (lambda d: d["features"][0]["properties"].update(NivInfViCr=5), "not a vigilance level"),
        (
            lambda d: d["features"][1].update(geometry={"type": "Point", "coordinates": [2, 50]}),
            "'Point' is not a LineString",
        ),
        (lambda d: d.update(type="Feature"), "not a GeoJSON FeatureCollection"),
    ],
)
def test_malformed_reaches_are_rejected_with_the_reason(mutate: Any, reason: str) -> None:
    document = copy.deepcopy(COLLECTION)
    mutate(document)

    with pytest.raises(FeedError, match=reason):
        parse_infovigicru(document)


def test_distance_to_a_reach_is_measured_in_metres() -> None:
    north_by_500m = LAT + 500 / METRES_PER_DEGREE_LAT

    assert distance_to_reach_m(STRAIGHT, north_by_500m, 1.05) == pytest.approx(500, rel=0.01)
    assert distance_to_reach_m(STRAIGHT, LAT, 1.05) == pytest.approx(0, abs=0.01)
    assert is_near_reach(STRAIGHT, north_by_500m, 1.05, 600)
    assert not is_near_reach(STRAIGHT, north_by_500m, 1.05, 400)


def test_distance_beyond_the_end_of_a_reach_is_to_its_end() -> None:
    # 0.01 degree of longitude east of the end point at 48 N is about 744 m.
    assert distance_to_reach_m(STRAIGHT, LAT, 1.11) == pytest.approx(744, rel=0.01)


def test_flood_zone_holds_the_places_within_the_buffer_and_not_beyond() -> None:
    zone = shape(flood_zone(STRAIGHT, 500))

    assert zone.contains(Point(1.05, LAT + 400 / METRES_PER_DEGREE_LAT))
    assert not zone.contains(Point(1.05, LAT + 600 / METRES_PER_DEGREE_LAT))
    assert zone.contains(Point(1.0, LAT))


def test_flood_zone_needs_a_positive_distance() -> None:
    with pytest.raises(ValueError, match="positive"):
        flood_zone(STRAIGHT, 0)
