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


def test_contact_ids_tell_nothing_about_the_person() -> None:
    data = b"nom;prenom;tel;commune;consentement\nRoux;Paul;06 55 44 33 22;59350;01/01/2025\n"

    first, _ = read_contacts(data, COMMUNES)
    second, _ = read_contacts(data, COMMUNES)

    # Random: the same person read twice without the store's index gets two unrelated ids.
    assert first[0].contact_id != second[0].contact_id
    assert "roux" not in first[0].contact_id.lower()


def test_a_full_width_or_spaced_variant_of_a_name_is_the_same_person() -> None:
    data = (
        "nom;prenom;tel;commune;consentement\n"
        "Roux;Paul;06 55 44 33 22;59350;01/01/2025\n"
        "ＲＯＵＸ;Ｐａｕｌ;07 55 44 33 22;59350;01/06/2025\n"
        "  roux ;paul  ;06 11 22 33 44;59350;01/06/2025\n"
    ).encode()

    contacts, report = read_contacts(data, COMMUNES)

    assert len(contacts) == 1
    assert len(contacts[0].phones) == 3
    assert [r.status for r in report.rows] == ["imported", "merged", "merged"]
    assert len({r.contact_id for r in report.rows}) == 1


def test_two_names_made_only_of_emoji_stay_two_people() -> None:
    data = (
        "nom complet;tel;commune;consentement\n"
        "🌊🏠;06 55 44 33 22;59350;01/01/2025\n"
        "🔥🌲;07 55 44 33 22;59350;01/01/2025\n"
    ).encode()

    contacts, report = read_contacts(data, COMMUNES)

    assert len(contacts) == 2
    assert [r.status for r in report.rows] == ["imported", "imported"]


def test_a_known_person_keeps_their_id_across_files() -> None:
    data = b"nom;prenom;tel;commune;consentement\nRoux;Paul;06 55 44 33 22;59350;01/01/2025\n"
    index: dict[str, str] = {}

    def assign(keys: list[str]) -> dict[str, str]:
        for key in keys:
            index.setdefault(key, f"c-known-{len(index)}")
        return {key: index[key] for key in keys}

    first, _ = read_contacts(data, COMMUNES, assign_ids=assign)
    again, _ = read_contacts(
        data.replace(b"Roux;Paul", "ＲＯＵＸ;Paul".encode()), COMMUNES, assign_ids=assign
    )

    assert first[0].contact_id == again[0].contact_id == "c-known-0"


def test_a_row_of_a_commune_the_importer_does_not_reach_says_so() -> None:
    mine = CommuneDirectory({"59350": "Lille"}, others={"59043": "Bailleul"})
    data = b"nom;tel;commune;consentement\nRoux;06 55 44 33 22;Bailleul;01/01/2025\n"

    contacts, report = read_contacts(data, mine)

    assert contacts == []
    assert report.rows[0].reasons == ("commune 'Bailleul' is not one of yours",)
