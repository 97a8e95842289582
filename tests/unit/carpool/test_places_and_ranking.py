"""Meeting places from the real BNLC file, and the French sentence of a match."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.carpool.matching.ranking import Explained, place_label, reason_fr, score
from services.carpool.places import PlacesFileError, read_bnlc, read_plain_list

pytestmark = pytest.mark.unit

METEREN, SAINT_OMER = "59270", "62765"


def test_bnlc_places_of_the_tenants_communes_only(shared_data: Path) -> None:
    text = (shared_data / "carpool" / "bnlc.csv").read_text(encoding="utf-8")
    imported = read_bnlc(text, communes={METEREN, SAINT_OMER})
    assert imported.places, "the national base has places in these communes"
    assert {p.commune_insee for p in imported.places} <= {METEREN, SAINT_OMER}
    assert all(p.source == "bnlc" for p in imported.places)
    assert imported.skipped["outside the territory"] > 2000


def test_bnlc_places_near_the_graph_are_kept_too(shared_data: Path) -> None:
    text = (shared_data / "carpool" / "bnlc.csv").read_text(encoding="utf-8")
    some = read_bnlc(text, communes={METEREN}).places[0]
    near = read_bnlc(text, anchors=[some.location], within_m=200)
    assert some.place_id in {p.place_id for p in near.places}
    assert read_bnlc(text).places == []  # an absent territory keeps nothing


def test_a_file_that_is_not_the_bnlc_is_refused_with_the_missing_columns() -> None:
    with pytest.raises(PlacesFileError, match="missing column"):
        read_bnlc("name,lat,lon\nA,50.1,2.3\n")


def test_a_plain_list_with_a_header() -> None:
    imported = read_plain_list("name,lat,lon\nÉglise de Zoersel,51.2667,4.7125\n")
    (place,) = imported.places
    assert place.name == "Église de Zoersel" and place.location == (51.2667, 4.7125)
    with pytest.raises(PlacesFileError, match="line 2"):
        read_plain_list("A,51.2,4.7\nB,north,4.7\n")


def test_the_reason_reads_like_the_issue_asks() -> None:
    label = place_label("Bourg", "Aire de covoiturage", "MÉTEREN")
    text = reason_fr(Explained(8 * 3600 + 40 * 60, label, 6 * 60, 0))
    assert text.startswith("départ 8 h 40 à l'aire de covoiturage de Méteren")
    assert text.endswith("6 min de détour")
    assert "400 m à pied" in reason_fr(Explained(9 * 3600, "votre adresse", 0, 400))


def test_walking_weighs_more_than_detour_and_waiting_less() -> None:
    assert score(0, 0, 300) > score(300, 0, 0) > score(0, 300, 0)
