"""The gateway's contacts endpoints on the real services: import (CSV, multipart, encodings),
where each contact lives, export and erasure by commune, opt-out and opt-in."""

from __future__ import annotations

import phonenumbers
import pytest
from fastapi.testclient import TestClient

from contracts.gateway import TenantUpdate
from contracts.users import Role
from services.gateway.users import UserStore

from . import alert_builders
from .alert_builders import (
    BAILLEUL,
    LILLE,
    VILLENEUVE,
    Auth,
    campaign_request,
    contacts_csv,
    import_csv,
    mobile,
    person,
)
from .conftest import COMMUNES

pytestmark = pytest.mark.integration

# The shared fixtures (alert_builders.py): a client on the real services, a session per role.
client = alert_builders.client
as_role = alert_builders.as_role


# -- contacts ----------------------------------------------------------------------------------
def test_an_import_reports_every_row_and_keeps_the_valid_ones(
    client: TestClient, as_role: Auth
) -> None:
    report = import_csv(
        client,
        as_role(Role.DISPATCHER),
        [
            person("Martin", mobile()),
            person("Durand", mobile(), VILLENEUVE),
            person("Petit", "06 12"),
            person("Roux", mobile(), consent=""),
        ],
    )

    assert (report["imported"], report["rejected"]) == (2, 2)
    by_row = {row["row"]: row for row in report["rows"]}
    assert by_row[2]["status"] == by_row[3]["status"] == "imported"
    assert "phone" in " ".join(by_row[4]["reasons"])
    assert "consent" in " ".join(by_row[5]["reasons"])


def test_a_multipart_upload_in_windows_1252_keeps_the_accents(
    client: TestClient, as_role: Auth
) -> None:
    mayor = as_role(Role.MAYOR)
    data = contacts_csv([person("Lefèvre", mobile())]).encode("cp1252")

    response = client.post(
        "/contacts/import", files={"file": ("contacts.csv", data, "text/csv")}, headers=mayor
    )

    assert response.status_code == 200, response.text
    contact_id = response.json()["rows"][0]["contact_id"]
    export = client.get(f"/contacts/{contact_id}/export", headers=mayor)
    assert export.json()["contact"]["full_name"] == "Jeanne Lefèvre"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"nom;commune\r\nMartin;59350\r\n", "no phone column"),
        (b"", "empty"),
        (b"   \r\n", "empty"),
    ],
)
def test_a_file_that_cannot_be_read_is_422_with_the_reason(
    client: TestClient, as_role: Auth, body: bytes, reason: str
) -> None:
    response = client.post(
        "/contacts/import",
        content=body,
        headers={**as_role(Role.ADMIN), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_a_form_without_a_file_is_422(client: TestClient, as_role: Auth) -> None:
    response = client.post(
        "/contacts/import",
        content=b"--b\r\n\r\n--b--\r\n",
        headers={**as_role(Role.ADMIN), "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 422


def test_a_mayor_imports_only_the_rows_of_their_communes(client: TestClient, as_role: Auth) -> None:
    report = import_csv(
        client,
        as_role(Role.MAYOR),
        [person("Martin", mobile()), person("Durand", mobile(), VILLENEUVE)],
    )

    rows = report["rows"]
    assert [r["status"] for r in rows] == ["imported", "rejected"]
    assert rows[1]["reasons"] == [f"commune '{VILLENEUVE}' is not one of yours"]


def test_contacts_without_an_address_are_listed_as_not_placed_for_their_mayor(
    client: TestClient, as_role: Auth
) -> None:
    report = import_csv(
        client,
        as_role(Role.DISPATCHER),
        [person("Martin", mobile()), person("Durand", mobile(), VILLENEUVE)],
    )

    assert [r["placement"] for r in report["rows"]] == ["commune", "commune"]
    assert [u["why"] for u in report["unplaced"]] == ["no address in the file"] * 2
    listed = client.get("/contacts/unplaced", headers=as_role(Role.MAYOR))
    assert listed.status_code == 200, listed.text
    assert [(u["full_name"], u["commune"]) for u in listed.json()] == [("Jeanne Martin", LILLE)]
    everyone = client.get("/contacts/unplaced", headers=as_role(Role.DISPATCHER)).json()
    assert len(everyone) == 2


def test_the_service_places_an_address_from_the_ban_files_it_is_given(
    client: TestClient, as_role: Auth, store: UserStore
) -> None:
    store.set_tenant(TenantUpdate(name="CC de test", communes=(*COMMUNES, BAILLEUL)))
    data = (
        "nom;prénom;téléphone;commune;adresse;date consentement\r\n"
        f"Lefebvre;Marie;{mobile()};Bailleul;12 rue d'Ypres;01/03/2025\r\n"
    )
    response = client.post(
        "/contacts/import",
        content=data.encode(),
        headers={**as_role(Role.DISPATCHER), "Content-Type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["placed"], report["unplaced"]) == (1, [])
    assert report["rows"][0]["placement"] == "housenumber"
    contact_id = report["rows"][0]["contact_id"]
    held = client.get(f"/contacts/{contact_id}/export", headers=as_role(Role.DISPATCHER)).json()
    assert held["contact"]["location"] == {"lat": 50.73905, "lon": 2.73664}
    assert held["contact"]["placed_from"] == "12 Rue d'Ypres, Bailleul"


def test_export_and_erase_follow_the_mayors_communes(client: TestClient, as_role: Auth) -> None:
    dispatcher, mayor = as_role(Role.DISPATCHER), as_role(Role.MAYOR)
    report = import_csv(
        client, dispatcher, [person("Martin", mobile()), person("Durand", mobile(), VILLENEUVE)]
    )
    in_lille, elsewhere = (row["contact_id"] for row in report["rows"])

    assert client.get(f"/contacts/{elsewhere}/export", headers=mayor).status_code == 404
    assert client.delete(f"/contacts/{elsewhere}", headers=mayor).status_code == 404
    export = client.get(f"/contacts/{in_lille}/export", headers=mayor)
    assert export.status_code == 200
    assert export.json()["contact"]["commune"] == LILLE

    assert client.delete(f"/contacts/{in_lille}", headers=mayor).status_code == 204
    assert client.get(f"/contacts/{in_lille}/export", headers=mayor).status_code == 404
    assert client.delete(f"/contacts/{in_lille}", headers=dispatcher).status_code == 404
    assert client.get(f"/contacts/{elsewhere}/export", headers=dispatcher).status_code == 200


def test_opt_out_removes_a_number_from_the_next_campaign_and_opt_in_restores_it(
    client: TestClient, as_role: Auth
) -> None:
    mayor = as_role(Role.MAYOR)
    phone = mobile()
    import_csv(client, mayor, [person("Martin", phone), person("Durand", mobile())])
    national = phonenumbers.format_number(
        phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.NATIONAL
    )

    def sms_recipients() -> int:
        response = client.post("/campaigns/preview", json=campaign_request(), headers=mayor)
        return int(response.json()["recipients"]["sms"])

    assert sms_recipients() == 2
    out = client.post("/contacts/opt-out", json={"phone": national}, headers=mayor)
    assert out.json() == {"phone": phone, "opted_out": True}
    assert sms_recipients() == 1
    back = client.post("/contacts/opt-in", json={"phone": phone}, headers=mayor)
    assert back.json() == {"phone": phone, "opted_out": False}
    assert sms_recipients() == 2


@pytest.mark.parametrize("phone", ["not a number", "06 12", "+999 1234"])
def test_opt_out_of_a_bad_number_is_422(client: TestClient, as_role: Auth, phone: str) -> None:
    response = client.post("/contacts/opt-out", json={"phone": phone}, headers=as_role(Role.MAYOR))
    assert response.status_code == 422
    assert response.json()["detail"]
