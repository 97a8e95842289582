"""Addresses from a mairie's file placed against a Base Adresse Nationale CSV (a small file made
in the BAN's own format: tests/fixtures/adresses-59-sample.csv)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from contracts.alerts import Contact, ContactPhone, GeoPoint
from services.alerts.addresses import AddressFileError, place, read_ban_csv
from services.alerts.contact_placing import department_of, place_contacts

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


# -- contacts placed from their address (contact_placing) ----------------------------------------
def _contact(address: str, commune: str = "59043", **extra: object) -> Contact:
    return Contact(
        contact_id="c-1", full_name="Marie Lefebvre",
        phones=(ContactPhone(e164="+33612345601", kind="mobile"),), commune=commune,
        address=address, consent_date=date(2025, 3, 1), consent_source="mairie", **extra,
    )  # fmt: skip


def test_a_contact_is_placed_at_its_address_and_keeps_the_quality() -> None:
    (placed,), unplaced = place_contacts([_contact("12 bis rue d'Ypres")], {"59": BAN})

    assert unplaced == []
    assert placed.placement == "housenumber"
    assert (placed.location.lon, placed.location.lat) == (2.73669, 50.73909)  # type: ignore[union-attr]


def test_coordinates_given_in_the_file_win() -> None:
    given = _contact("1 rue d'Ypres", location=GeoPoint(lat=50.7, lon=2.7))

    (placed,), _ = place_contacts([given], {"59": BAN})

    assert placed.placement == "given" and placed.location == GeoPoint(lat=50.7, lon=2.7)


@pytest.mark.parametrize(
    ("address", "commune", "why"),
    [
        ("", "59043", "no address in the file"),
        ("Lieu-dit le Mont Noir", "59043", "address not found"),
        ("3 rue de la Gare", "62041", "no Base Adresse Nationale file for department 62"),
    ],
)
def test_a_contact_that_cannot_be_placed_says_why_and_gets_no_guessed_point(
    address: str, commune: str, why: str
) -> None:
    (placed,), (unplaced,) = place_contacts([_contact(address, commune)], {"59": BAN})

    assert placed.location is None and placed.placement == "commune"
    assert unplaced.why.startswith(why)


def test_departments_of_corsica_and_overseas_communes() -> None:
    assert [department_of(c) for c in ("59043", "2A004", "97411")] == ["59", "2A", "974"]


def test_a_reimport_without_address_files_keeps_the_point_found_before() -> None:
    (placed,), _ = place_contacts([_contact("1 rue d'Ypres")], {"59": BAN})

    (again,), unplaced = place_contacts([_contact("1 rue d'Ypres")], {}, {"c-1": placed})
    (moved,), _ = place_contacts([_contact("5 Grand'Place")], {}, {"c-1": placed})

    assert again.location == placed.location and again.placement == "housenumber"
    assert unplaced == []
    assert moved.location is None  # a new address is never given the old point
