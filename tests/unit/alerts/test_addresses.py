"""Addresses from a mairie's file placed against a Base Adresse Nationale CSV (a small file made
in the BAN's own format: tests/fixtures/adresses-59-sample.csv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.alerts.addresses import AddressFileError, place, read_ban_csv

pytestmark = pytest.mark.unit
BAN = read_ban_csv(
    (Path(__file__).parents[2] / "fixtures" / "adresses-59-sample.csv").read_text(encoding="utf-8")
)


def test_a_known_number_is_placed_at_its_entrance() -> None:
    placed = place(BAN, "12 rue d'Ypres", "59043")

    assert placed is not None
    assert (placed.lon, placed.lat, placed.quality) == (2.73664, 50.73905, "housenumber")


def test_a_mairies_spelling_is_matched_abbreviations_accents_and_repetition() -> None:
    bis = place(BAN, "12 bis R. d Ypres", "59043")
    jaures = place(BAN, "2, pl Jean Jaures", "59580")
    grand_place = place(BAN, "5 Grand Place", "59043")

    assert bis is not None and bis.matched.startswith("12 bis Rue d'Ypres")
    assert jaures is not None and jaures.quality == "housenumber"
    assert grand_place is not None and grand_place.quality == "housenumber"


def test_a_missing_number_takes_the_nearest_on_the_same_side_and_says_so() -> None:
    placed = place(BAN, "21 route de Winnezeele", "59580")

    assert placed is not None and placed.quality == "street"
    assert (placed.lon, placed.lat) == (2.58595, 50.8171)
    assert placed.matched == "23 Route de Winnezeele, Steenvoorde (au plus près du 21)"


def test_what_cannot_be_placed_is_none_never_a_guess_in_another_commune() -> None:
    assert place(BAN, "3 rue d'Ypres", "59580") is None  # that street is in Bailleul
    assert place(BAN, "lieu-dit Le Mont", "59043") is None  # no number
    assert place(BAN, "8 chemin des Fraises", "59043") is None  # no such street


def test_a_file_that_is_not_the_ban_is_refused_naming_the_columns() -> None:
    with pytest.raises(AddressFileError, match="no column numero"):
        read_ban_csv("nom;adresse\nDupont;1 rue\n")
