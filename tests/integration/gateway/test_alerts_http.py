"""The gateway's alerts endpoints on the real services: contacts, campaigns, roles, feeds, audit.

The mayor is bound to Lille (59350); Villeneuve-d'Ascq (59009) is another commune of the tenant.
The builders at the top are shared with test_alerts_live.py.
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import phonenumbers
import pytest
from fastapi.testclient import TestClient

from contracts.gateway import TenantUpdate
from contracts.users import Commune, Role
from services.gateway.users import UserStore

from .conftest import COMMUNES, login

pytestmark = pytest.mark.integration

LILLE, VILLENEUVE = "59350", "59009"
BAILLEUL = Commune(code="59043", name="Bailleul")
HEADER = ("nom", "prénom", "téléphone", "commune", "date consentement", "vulnérable", "canal")


# -- builders ----------------------------------------------------------------------------------
def _number(prefix: str, kind: int) -> str:
    # Random, so that numbers never meet across tests in the session-wide sandbox.
    while True:
        national = prefix + "".join(random.choices("0123456789", k=8))
        parsed = phonenumbers.parse(national, "FR")
        if phonenumbers.number_type(parsed) == kind:
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mobile() -> str:
    return _number("06", phonenumbers.PhoneNumberType.MOBILE)


def landline() -> str:
    return _number("03", phonenumbers.PhoneNumberType.FIXED_LINE)


def person(
    last: str,
    phone: str,
    commune: str = LILLE,
    *,
    vulnerable: str = "non",
    channel: str = "",
    consent: str = "01/03/2024",
) -> tuple[str, ...]:
    return (last, "Jeanne", phone, commune, consent, vulnerable, channel)


def contacts_csv(rows: Iterable[Iterable[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def campaign_request(
    communes: Iterable[str] = (LILLE,),
    message: str = "Crue de la Lys : evitez les berges.",
    channels: Iterable[str] = ("sms", "voice"),
) -> dict[str, Any]:
    return {
        "title": "Crue de la Lys",
        "message": message,
        "severity": "warning",
        "target": {"communes": list(communes)},
        "channels": list(channels),
    }


def eventually[T](check: Callable[[], T | None], what: str, timeout_s: float = 60) -> T:
    """Polls `check` until it returns something truthy; fails naming `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what}: not so after {timeout_s:g} s (last seen: {last!r})")


def report_rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def import_csv(client: httpx.Client, headers: dict[str, str], rows: Iterable[Iterable[str]]) -> Any:
    response = client.post(
        "/contacts/import",
        content=contacts_csv(rows).encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    return response.json()


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture
def client(
    make_client: Callable[..., TestClient], services_amqp_uri: str, role_users: dict[Role, str]
) -> TestClient:
    return make_client(services_amqp_uri)


@pytest.fixture
def as_role(client: TestClient, role_users: dict[Role, str]) -> Callable[[Role], dict[str, str]]:
    sessions: dict[Role, dict[str, str]] = {}

    def headers(role: Role) -> dict[str, str]:
        if role not in sessions:
            sessions[role] = login(client, role_users[role])
        return sessions[role]

    return headers


Auth = Callable[[Role], dict[str, str]]


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


# -- campaigns ---------------------------------------------------------------------------------
def test_preview_flags_ucs2_names_the_forcing_letters_and_offers_a_gsm_variant(
    client: TestClient, as_role: Auth
) -> None:
    mayor = as_role(Role.MAYOR)
    import_csv(client, mayor, [person("Martin", mobile()), person("Roux", landline())])
    message = "Crue : la rivière a dépassé la côte d'alerte, évitez les berges. " * 2

    response = client.post(
        "/campaigns/preview", json=campaign_request(message=message), headers=mayor
    )

    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["recipients"] == {"sms": 1, "voice": 1}
    assert preview["sms"]["encoding"] == "UCS-2"
    assert "ô" in preview["sms"]["forcing_characters"]
    assert preview["sms"]["segments"] >= 2
    assert "ô" not in preview["transliterated_message"]
    variant = preview["transliterated_sms"]
    assert variant["encoding"] == "GSM-7"
    assert variant["segments"] < preview["sms"]["segments"]


def test_a_mayor_cannot_target_another_commune(client: TestClient, as_role: Auth) -> None:
    mayor = as_role(Role.MAYOR)
    for path in ("/campaigns/preview", "/campaigns"):
        response = client.post(path, json=campaign_request([LILLE, VILLENEUVE]), headers=mayor)
        assert response.status_code == 403, path
        assert VILLENEUVE in response.json()["detail"]


@pytest.mark.parametrize("role", [Role.DRIVER, Role.FAMILY, Role.RESIDENT])
def test_roles_outside_the_alerts_get_403(client: TestClient, as_role: Auth, role: Role) -> None:
    headers = as_role(role)
    assert client.post("/campaigns", json=campaign_request(), headers=headers).status_code == 403
    assert client.get("/campaigns", headers=headers).status_code == 403
    opt_out = client.post("/contacts/opt-out", json={"phone": mobile()}, headers=headers)
    assert opt_out.status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"message": ""},
        {"severity": "apocalypse"},
        {"channels": ["fax"]},
        {"target": {"communes": []}},
    ],
)
def test_a_bad_campaign_is_422(client: TestClient, as_role: Auth, change: dict[str, Any]) -> None:
    body = {**campaign_request(), **change}
    response = client.post("/campaigns", json=body, headers=as_role(Role.DISPATCHER))
    assert response.status_code == 422
    assert response.json()["detail"]


def test_campaigns_are_listed_and_read_within_the_mayors_communes(
    client: TestClient, as_role: Auth
) -> None:
    dispatcher, mayor = as_role(Role.DISPATCHER), as_role(Role.MAYOR)
    theirs = client.post("/campaigns", json=campaign_request([VILLENEUVE]), headers=dispatcher)
    mine = client.post("/campaigns", json=campaign_request([LILLE]), headers=mayor)
    assert (theirs.status_code, mine.status_code) == (201, 201)
    theirs_id, mine_id = theirs.json()["campaign_id"], mine.json()["campaign_id"]

    assert [c["campaign_id"] for c in client.get("/campaigns", headers=mayor).json()] == [mine_id]
    listed = {c["campaign_id"] for c in client.get("/campaigns", headers=dispatcher).json()}
    assert listed == {mine_id, theirs_id}
    assert client.get(f"/campaigns/{theirs_id}", headers=mayor).status_code == 404
    for action in ("send", "cancel"):
        assert client.post(f"/campaigns/{theirs_id}/{action}", headers=mayor).status_code == 404
    assert client.get(f"/campaigns/{theirs_id}/report.csv", headers=mayor).status_code == 404
    detail = client.get(f"/campaigns/{mine_id}", headers=mayor).json()
    assert detail["campaign"]["status"] == "draft"
    assert client.get("/campaigns/cmp-nope", headers=dispatcher).status_code == 404


def test_a_cancelled_draft_cannot_be_sent_and_a_draft_has_no_follow_up(
    client: TestClient, as_role: Auth
) -> None:
    mayor = as_role(Role.MAYOR)
    campaign_id = client.post("/campaigns", json=campaign_request(), headers=mayor).json()[
        "campaign_id"
    ]

    update = client.post(f"/campaigns/{campaign_id}/update", json={"text": "x"}, headers=mayor)
    assert update.status_code == 409
    empty = client.post(f"/campaigns/{campaign_id}/end", json={"text": ""}, headers=mayor)
    assert empty.status_code == 422
    cancel = client.post(f"/campaigns/{campaign_id}/cancel", headers=mayor)
    assert cancel.status_code == 200
    assert cancel.json()["campaign"]["status"] == "cancelled"
    assert cancel.json()["cancelled_sends"] == 0
    assert client.post(f"/campaigns/{campaign_id}/send", headers=mayor).status_code == 409


def test_the_audit_shows_a_mayor_only_their_own_trail(client: TestClient, as_role: Auth) -> None:
    dispatcher, mayor = as_role(Role.DISPATCHER), as_role(Role.MAYOR)
    client.post("/campaigns", json=campaign_request([VILLENEUVE]), headers=dispatcher)
    mine = client.post("/campaigns", json=campaign_request([LILLE]), headers=mayor).json()
    # A dispatcher acting on the mayor's campaign shows in the mayor's trail too.
    client.post(f"/campaigns/{mine['campaign_id']}/cancel", headers=dispatcher)

    everything = client.get("/audit", headers=dispatcher).json()
    seen_by_mayor = client.get("/audit", headers=mayor).json()

    assert len(everything) == 3
    assert [(e["actor"], e["action"]) for e in seen_by_mayor] == [
        ("dispatcher-1", "campaign_cancelled"),
        ("mayor-1", "campaign_drafted"),
    ]
    assert client.get("/audit?count=0", headers=dispatcher).status_code == 422
    assert client.get("/audit", headers=as_role(Role.DRIVER)).status_code == 403


# -- vigilance feeds -----------------------------------------------------------------------------
@pytest.fixture
def tenant_with_brittany(client: TestClient, as_role: Auth) -> None:
    """Adds Rennes and Bruz (35), orange for thunderstorms in the Météo-France sample."""
    communes = [
        {"code": LILLE, "name": "Lille"},
        {"code": VILLENEUVE, "name": "Villeneuve-d'Ascq"},
        {"code": "35238", "name": "Rennes"},
        {"code": "35047", "name": "Bruz"},
    ]
    response = client.put(
        "/tenant", json={"name": "CC de test", "communes": communes}, headers=as_role(Role.ADMIN)
    )
    assert response.status_code == 200, response.text


def test_a_vigilance_map_drafts_campaigns_that_wait_for_approval(
    client: TestClient, as_role: Auth, shared_data: Path, tenant_with_brittany: None
) -> None:
    sample = shared_data / "vigilance" / "enerlens-meteofrance-cartevigilance-sample.json"
    dispatcher, mayor = as_role(Role.DISPATCHER), as_role(Role.MAYOR)

    def ingest(headers: dict[str, str]) -> Any:
        response = client.post(
            "/feeds?kind=meteofrance",
            content=sample.read_bytes(),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = ingest(dispatcher)
    again = ingest(dispatcher)

    drafted = {d["request"]["target"]["communes"][0] for d in first["drafts"]}
    assert drafted == {"35238", "35047"}
    assert all(d["status"] == "draft" and d["source"] for d in first["drafts"])
    assert (again["drafts"], again["changes"]) == ([], 0)
    # The mayor of Lille (Nord, green) sees none of Brittany's drafts, and feeds are not theirs.
    assert client.get("/campaigns", headers=mayor).json() == []
    refused = client.post("/feeds?kind=meteofrance", content=sample.read_bytes(), headers=mayor)
    assert refused.status_code == 403
    listed = client.get("/campaigns", headers=dispatcher).json()
    assert {c["status"] for c in listed} == {"draft"}


def test_an_invalid_cap_file_is_422_with_the_reason(
    client: TestClient, as_role: Auth, shared_data: Path
) -> None:
    bad = (shared_data / "cap" / "google-noaa_errors.cap").read_bytes()
    response = client.post(
        "/feeds?kind=cap",
        content=bad,
        headers={**as_role(Role.DISPATCHER), "Content-Type": "application/xml"},
    )
    assert response.status_code == 422
    assert "urgency" in response.json()["detail"]
    unknown = client.post("/feeds?kind=rss", content=bad, headers=as_role(Role.DISPATCHER))
    assert unknown.status_code == 422


# -- the console page ----------------------------------------------------------------------------
def test_the_console_is_served_with_its_assets_and_a_strict_policy(client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'lang="fr"' in page.text
    for asset, kind in (("console.js", "javascript"), ("console.css", "css")):
        response = client.get(f"/console/{asset}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
    assert "://" not in page.text  # no external asset
