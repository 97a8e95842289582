"""Which communes a geometry covers, codes read by kind, and what a mayor sees of an outcome.
Small made communes: three unit squares side by side (A | B | C) along the equator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import shapely

from contracts.feeds import CapValue, FeedIngestRecord, FeedItemOutcome, FeedLevel, ReachGeometry
from contracts.identity import Caller
from contracts.users import Role
from services.alerts.feed_areas import concern
from services.alerts.feed_outcomes import as_seen_by
from services.alerts.feeds.geocodes import commune_codes, department_codes, unplaced_kinds
from services.alerts.territory import (
    Commune,
    circle,
    communes_covering,
    communes_from_geojson,
    nearest_names,
    same_name,
    territory,
    to_geojson,
)

pytestmark = pytest.mark.unit

ROW = territory(
    Commune(code, name, shapely.box(x, 0.0, x + 0.1, 0.1))
    for code, name, x in (("59001", "Aval", 0.0), ("59002", "Bourg", 0.1), ("59003", "Cour", 0.2))
)


def test_a_polygon_concerns_the_communes_whose_inside_it_meets() -> None:
    over_a_and_b = shapely.box(0.05, 0.02, 0.15, 0.08)

    assert communes_covering(ROW, over_a_and_b) == ["59001", "59002"]


def test_a_polygon_that_only_shares_a_border_concerns_nobody_beyond_it() -> None:
    exactly_b = shapely.box(0.1, 0.0, 0.2, 0.1)

    assert communes_covering(ROW, exactly_b) == ["59002"]


def test_a_geojson_mapping_works_like_a_shapely_geometry() -> None:
    mapping = {"type": "Point", "coordinates": [0.25, 0.05]}

    assert communes_covering(ROW, mapping) == ["59003"]


def test_a_circle_is_measured_in_kilometres_on_the_ground() -> None:
    # A degree of longitude at the equator is ~111 km: 5 km from B's middle stays inside B.
    assert communes_covering(ROW, circle(0.15, 0.05, 5)) == ["59002"]
    assert communes_covering(ROW, circle(0.15, 0.05, 8)) == ["59001", "59002", "59003"]


def test_boundaries_round_trip_through_geojson() -> None:
    again = communes_from_geojson(to_geojson(ROW.communes))

    assert [(c.code, c.name) for c in again] == [
        ("59001", "Aval"),
        ("59002", "Bourg"),
        ("59003", "Cour"),
    ]


def test_nearest_names_point_to_the_right_code_or_the_closest_spellings() -> None:
    assert nearest_names("59999", "Bourg", ROW.communes) == "Bourg is 59002"
    assert "Cour (59003)" in nearest_names("59999", "Courr", ROW.communes)
    assert same_name("Villeneuve-d'Ascq", "villeneuve d ascq")
    assert not same_name("Steenvoorde", "Téteghem-Coudekerque-Village")


def test_codes_are_read_by_kind_and_a_foreign_kind_selects_nothing() -> None:
    geocodes = (
        CapValue(name="INSEE", value="59002"),
        CapValue(name="NUTS3", value="FRE12"),
        CapValue(name="NUTS3", value="BE251"),
        CapValue(name="departement", value="2A"),
        CapValue(name="SAME", value="59001"),
        CapValue(name="EMMA_ID", value="FR059"),
    )

    assert commune_codes(geocodes) == ("59002",)
    assert department_codes(geocodes) == ("62", "2A")
    assert unplaced_kinds(geocodes) == ("NUTS3=BE251", "SAME=59001", "EMMA_ID=FR059")


def test_a_reach_concerns_the_communes_its_flood_zone_covers() -> None:
    # A river along y = 0.05 from the middle of A to the middle of B; 500 m each side.
    course = ReachGeometry(type="LineString", lines=(((0.05, 0.05), (0.15, 0.05)),))
    level = FeedLevel(
        source="vigicrues",
        key="vigicrues:XX1",
        level=3,
        phenomenon="crues",
        event="crues",
        area_kind="reach",
        area_ids=("XX1",),
        area_label="Rivière",
        reference="Vigicrues, tronçon XX1",
    )
    names = {c.code: c.name for c in ROW.communes}

    assert concern(level, names, ROW, course).communes == ("59001", "59002")


def test_a_mayor_sees_an_alert_drafted_elsewhere_as_not_concerning_them() -> None:
    record = FeedIngestRecord(
        ingest_id="i1",
        kind="cap",
        actor="agent",
        received_at=datetime(2026, 11, 30, 6, tzinfo=UTC),
        outcomes=(
            FeedItemOutcome(
                key="k1", label="Orages", outcome="drafted", communes=("59001", "59002")
            ),
            FeedItemOutcome(key="k2", label="Vent", outcome="drafted", communes=("59003",)),
        ),
    )
    mayor = Caller(username="maire", role=Role.MAYOR, communes=("59002",))
    agent = Caller(username="agent", role=Role.DISPATCHER)

    seen = as_seen_by(record, mayor).outcomes
    assert (seen[0].outcome, seen[0].communes) == ("drafted", ("59002",))
    assert (seen[1].outcome, seen[1].why, seen[1].communes) == ("not_concerned", "area_outside", ())
    assert as_seen_by(record, agent) == record
