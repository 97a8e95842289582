import pytest

from services.alerts.contacts_csv import CommuneDirectory, CsvError, read_contacts

pytestmark = pytest.mark.unit

COMMUNES = CommuneDirectory({"59043": "Bailleul", "59350": "Lille", "59588": "Steenvoorde"})


def test_a_mairie_export_in_windows_1252_with_semicolons_imports() -> None:
    data = (
        "Nom;Prénom;Téléphone;Commune;Vulnérable;Canal préféré;Date consentement\n"
        "Lefèvre;Hélène;06 12 34 56 78 / 03 28 49 12 00;Bailleul;oui;;12/03/2024\n"
        "Vanhove;Jérôme;07 81 23 45 67;59588;non;voix;2025-01-02\n"
    ).encode("cp1252")

    contacts, report = read_contacts(data, COMMUNES)

    assert (report.imported, report.merged, report.rejected) == (2, 0, 0)
    helene = next(c for c in contacts if c.full_name == "Hélène Lefèvre")
    assert [(p.e164, p.kind) for p in helene.phones] == [
        ("+33612345678", "mobile"),
        ("+33328491200", "landline"),
    ]
    assert helene.commune == "59043" and helene.vulnerable
    jerome = next(c for c in contacts if c.full_name == "Jérôme Vanhove")
    assert jerome.preferred_channel == "voice"


def test_each_rejected_row_says_why_and_valid_rows_are_kept() -> None:
    data = (
        "nom,prenom,telephone,commune,date consentement\n"
        "Martin,Jean,0612,Lille,01/01/2025\n"
        "Durand,Luc,06 98 76 54 32,Paris,01/01/2025\n"
        "Petit,Zoé,06 11 22 33 44,Lille,\n"
        "Roux,Paul,06 55 44 33 22,Lille,01/01/2025\n"
    ).encode()

    contacts, report = read_contacts(data, COMMUNES)

    assert [c.full_name for c in contacts] == ["Paul Roux"]
    reasons = {r.row: r.reasons for r in report.rows if r.status == "rejected"}
    assert "not a valid number" in reasons[2][0]
    assert "'Paris' is not one of this intercommunality's" in reasons[3][0]
    assert "consent" in reasons[4][0]


def test_a_bad_second_number_is_a_warning_not_a_lost_contact() -> None:
    data = "nom;prenom;tel;commune;consentement\nRoux;Paul;06 55 44 33 22 / 0123;59350;01/01/2025\n"

    contacts, report = read_contacts(data.encode(), COMMUNES)

    assert len(contacts) == 1 and len(contacts[0].phones) == 1
    assert report.rows[0].status == "imported"
    assert "'0123'" in report.rows[0].warnings[0]


def test_the_same_person_twice_is_merged_with_both_numbers() -> None:
    data = (
        b"nom;prenom;tel;commune;consentement\n"
        b"Roux;Paul;06 55 44 33 22;59350;01/01/2025\n"
        b"ROUX;Paul;07 55 44 33 22;Lille;01/06/2025\n"
    )

    contacts, report = read_contacts(data, COMMUNES)

    assert len(contacts) == 1
    assert {p.e164 for p in contacts[0].phones} == {"+33655443322", "+33755443322"}
    assert [r.status for r in report.rows] == ["imported", "merged"]


@pytest.mark.parametrize(
    ("data", "complaint"),
    [(b"", "empty"), (b"nom;commune\nRoux;Lille\n", "no phone column")],
)
def test_unreadable_files_are_refused_as_a_whole(data: bytes, complaint: str) -> None:
    with pytest.raises(CsvError, match=complaint):
        read_contacts(data, COMMUNES)
