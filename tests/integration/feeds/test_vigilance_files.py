"""The Météo-France and Vigicrues samples of the shared data, through to a mayor's draft."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape

from contracts.feeds import DepartmentVigilance
from services.alerts.drafting import draft_campaign
from services.alerts.feeds import (
    apply_snapshot,
    levels_from_meteofrance,
    levels_from_vigicrues,
    parse_infovigicru,
    parse_legacy_vigilance,
    parse_vigilance_map,
)
from services.alerts.feeds.reach_zone import flood_zone, is_near_reach

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def vigilance_dir(shared_data: Path) -> Path:
    return shared_data / "vigilance"


@pytest.fixture(scope="module")
def carte(vigilance_dir: Path) -> list[DepartmentVigilance]:
    return parse_vigilance_map(
        (vigilance_dir / "enerlens-meteofrance-cartevigilance-sample.json").read_bytes()
    )


def by_phenomenon(
    items: list[DepartmentVigilance], phenomenon_id: int
) -> set[tuple[str, str, int]]:
    return {(i.period, i.domain_id, i.level) for i in items if i.phenomenon_id == phenomenon_id}


def test_crues_are_vert_in_every_department_of_the_sample(carte: list[DepartmentVigilance]) -> None:
    assert by_phenomenon(carte, 4) == {
        ("J", "35", 1), ("J", "14", 1), ("J", "10", 1), ("J", "2A", 1),
        ("J1", "17", 1), ("J1", "14", 1), ("J1", "66", 1), ("J1", "2A", 1),
    }  # fmt: skip


def test_vagues_submersion_is_given_for_the_coast_of_the_gard(
    carte: list[DepartmentVigilance],
) -> None:
    assert by_phenomenon(carte, 9) == {("J", "3010", 1), ("J1", "3010", 1)}
    coast = next(i for i in carte if i.phenomenon == "vagues_submersion")
    assert (coast.department, coast.coastal) == ("30", True)


def test_the_orange_orages_of_the_sample(carte: list[DepartmentVigilance]) -> None:
    assert {(p, d) for p, d, level in by_phenomenon(carte, 3) if level == 3} == {
        ("J", "35"),
        ("J1", "17"),
    }
    ille_et_vilaine = next(
        i for i in carte if (i.period, i.domain_id, i.phenomenon_id) == ("J", "35", 3)
    )
    assert ille_et_vilaine.valid_from.isoformat() == "2026-08-26T18:00:00+00:00"
    assert "FRA" not in {i.domain_id for i in carte}


def test_a_repeated_map_changes_nothing_and_only_jaune_and_above_are_raised(
    carte: list[DepartmentVigilance],
) -> None:
    first = apply_snapshot({}, levels_from_meteofrance(carte))

    raised = {(c.feed.key, c.feed.level) for c in first.changes}
    assert raised == {
        ("meteofrance:35:3", 3),
        ("meteofrance:17:3", 3),
        ("meteofrance:14:3", 2),
        ("meteofrance:2A:6", 2),
    }
    assert apply_snapshot(first.state, levels_from_meteofrance(carte)).changes == []


def test_legacy_bulletin_gives_each_department_its_colours(vigilance_dir: Path) -> None:
    items = parse_legacy_vigilance(
        (vigilance_dir / "meteofrance-NXFR33_LFPW_-legacy-vigilance.xml").read_bytes()
    )
    levels = {(i.domain_id, i.phenomenon): i.level for i in items}

    assert levels[("32", "orages")] == 4
    assert levels[("27", "neige_verglas")] == 3 and levels[("27", "crues")] == 2
    assert levels[("2A10", "vagues_submersion")] == 2
    assert levels[("59", "vent_violent")] == 1


@pytest.fixture(scope="module")
def infovigicru(vigilance_dir: Path) -> dict[str, Any]:
    raw = (vigilance_dir / "enerlens-vigicrues-infovigicru-sample.geojson").read_bytes()
    document: dict[str, Any] = json.loads(raw)
    return document


def test_vigicrues_reaches_come_with_their_level_and_course(infovigicru: dict[str, Any]) -> None:
    reaches = {r.reach_id: r for r in parse_infovigicru(infovigicru)}

    assert set(reaches) == {"CO1", "NO50", "ML101"}
    assert reaches["ML101"].name == "Loir vendômois"
    assert all(r.level == 1 and r.bulletin == "25082026_16" for r in reaches.values())
    eure = reaches["NO50"].geometry
    assert eure.type == "MultiLineString" and eure.lines[0][0] == (1.5855, 48.56872)


def test_a_flood_zone_around_a_real_reach(infovigicru: dict[str, Any]) -> None:
    eure = next(r for r in parse_infovigicru(infovigicru) if r.reach_id == "NO50").geometry
    zone = shape(flood_zone(eure, 300))

    assert zone.contains(Point(1.58604, 48.5708))  # a vertex of the reach
    assert is_near_reach(eure, 48.5708, 1.5895, 300)  # about 250 m east of that vertex
    assert not is_near_reach(eure, 48.5708, 1.6000, 300)


def test_a_reach_turning_orange_drafts_one_french_campaign(infovigicru: dict[str, Any]) -> None:
    state = apply_snapshot({}, levels_from_vigicrues(parse_infovigicru(infovigicru))).state
    raised = json.loads(json.dumps(infovigicru))
    raised["features"][1]["properties"]["NivInfViCr"] = 3

    outcome = apply_snapshot(state, levels_from_vigicrues(parse_infovigicru(raised)))

    (change,) = outcome.changes
    assert (change.kind, change.key, change.previous_level) == ("raised", "vigicrues:NO50", 1)
    draft = draft_campaign(change, "28134", "Épernon")
    assert draft.severity == "warning" and draft.kind == "alert"
    assert draft.title == "Vigilance orange crues – Épernon"
    assert draft.sms_body.startswith("Mairie d'Épernon - Vigilance ORANGE crues.")
    assert "Eure moyenne et aval" in draft.voice_script
    again = apply_snapshot(outcome.state, levels_from_vigicrues(parse_infovigicru(raised)))
    assert again.changes == []
