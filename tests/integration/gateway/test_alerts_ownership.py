"""Who reaches which alerts object, through the gateway on the real services (issue 9).

Two mayors: Lille's (`mayor-1`, from conftest) and Villeneuve-d'Ascq's (`mayor-2`, here). A
campaign drawn as an area belongs to the communes of the people inside it; everything that is not
a mayor's answers 404 exactly like what does not exist, and leaves a trace in the owner's audit.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.users import UserStore

from . import alert_builders
from .alert_builders import LILLE, VILLENEUVE, mobile
from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration

# Two points a few km apart, one in each commune, and squares around each.
LILLE_POINT = (3.0573, 50.6292)
VILLENEUVE_POINT = (3.1417, 50.6233)
NOWHERE_POINT = (2.5, 50.9)


def square(lon: float, lat: float, half: float = 0.01) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def placed_csv(rows: list[tuple[str, str, str, tuple[float, float]]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(("nom", "téléphone", "commune", "date consentement", "lat", "lon"))
    for name, phone, commune, (lon, lat) in rows:
        writer.writerow((name, phone, commune, "01/03/2024", lat, lon))
    return out.getvalue().encode()


def area_request(polygon: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Crue de la Marque",
        "message": "Crue : evitez les berges.",
        "severity": "warning",
        "target": {"polygon": polygon},
        "channels": ["sms"],
    }


# A gateway on the real services, the role users made (alert_builders.py).
client = alert_builders.client


@pytest.fixture
def people(client: TestClient, role_users: dict[Role, str]) -> dict[str, Any]:
    """A resident of each commune, placed on the map; returns ids and numbers by commune."""
    phones = {LILLE: mobile(), VILLENEUVE: mobile()}
    response = client.post(
        "/contacts/import",
        content=placed_csv(
            [
                ("Martin", phones[LILLE], LILLE, LILLE_POINT),
                ("Durand", phones[VILLENEUVE], VILLENEUVE, VILLENEUVE_POINT),
            ]
        ),
        headers={**login(client, role_users[Role.DISPATCHER]), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    ids = [row["contact_id"] for row in response.json()["rows"]]
    return {"ids": {LILLE: ids[0], VILLENEUVE: ids[1]}, "phones": phones}


@pytest.fixture
def mayors(client: TestClient, store: UserStore, role_users: dict[Role, str]) -> dict[str, Any]:
    """Session headers of Lille's mayor and Villeneuve-d'Ascq's, by commune."""
    create_user(
        store,
        UserCreate(username="mayor-2", password=PASSWORD, role=Role.MAYOR, communes=(VILLENEUVE,)),
    )
    return {LILLE: login(client, role_users[Role.MAYOR]), VILLENEUVE: login(client, "mayor-2")}


def test_an_area_campaign_belongs_to_the_communes_of_the_people_inside_it(
    client: TestClient, people: dict[str, Any], mayors: dict[str, Any]
) -> None:
    lille, villeneuve = mayors[LILLE], mayors[VILLENEUVE]
    created = client.post(
        "/campaigns", json=area_request(square(*VILLENEUVE_POINT)), headers=villeneuve
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    campaign_id = campaign["campaign_id"]
    assert campaign["communes"] == [VILLENEUVE]

    # Lille's mayor: the campaign does not exist for them, whatever they try.
    assert client.get(f"/campaigns/{campaign_id}", headers=lille).status_code == 404
    assert client.get(f"/campaigns/{campaign_id}/report.csv", headers=lille).status_code == 404
    assert client.get(f"/campaigns/{campaign_id}/events", headers=lille).status_code == 404
    for action in ("send", "cancel"):
        assert client.post(f"/campaigns/{campaign_id}/{action}", headers=lille).status_code == 404
    for action in ("update", "end"):
        refused = client.post(
            f"/campaigns/{campaign_id}/{action}", json={"text": "Fin"}, headers=lille
        )
        assert refused.status_code == 404
    unknown = client.get("/campaigns/cmp-000000000000", headers=lille)
    assert refused.json()["detail"].replace(campaign_id, "X") == unknown.json()["detail"].replace(
        "cmp-000000000000", "X"
    )
    assert client.get("/campaigns", headers=lille).json() == []
    assert all(e["detail"].get("campaign") != campaign_id for e in _audit(client, lille))

    # Nothing changed, and Villeneuve's mayor sees who tried.
    detail = client.get(f"/campaigns/{campaign_id}", headers=villeneuve).json()
    assert detail["campaign"]["status"] == "draft"
    assert len(detail["campaign"]["messages"]) == 1
    refusals = [e for e in _audit(client, villeneuve) if e["action"] == "refused"]
    assert {e["detail"]["attempted"] for e in refusals} >= {"read", "send", "cancel", "report"}
    assert {e["actor"] for e in refusals} == {"mayor-1"}


def test_a_mayor_may_not_draw_an_area_over_another_commune_or_over_nobody(
    client: TestClient,
    people: dict[str, Any],
    mayors: dict[str, Any],
    role_users: dict[Role, str],
) -> None:
    lille = mayors[LILLE]
    both = {
        "type": "MultiPolygon",
        "coordinates": [
            square(*LILLE_POINT)["coordinates"],
            square(*VILLENEUVE_POINT)["coordinates"],
        ],
    }
    for path in ("/campaigns/preview", "/campaigns"):
        across = client.post(path, json=area_request(both), headers=lille)
        assert across.status_code == 403, across.text
        assert VILLENEUVE in across.json()["detail"] and LILLE not in across.json()["detail"]
        empty = client.post(path, json=area_request(square(*NOWHERE_POINT)), headers=lille)
        assert empty.status_code == 403
        assert "no commune" in empty.json()["detail"]

    # The intercommunality may: such a campaign is reached by tenant-wide roles only.
    dispatcher = login(client, role_users[Role.DISPATCHER])
    nobody = client.post(
        "/campaigns", json=area_request(square(*NOWHERE_POINT)), headers=dispatcher
    )
    assert nobody.status_code == 201
    assert nobody.json()["communes"] == []
    nobody_id = nobody.json()["campaign_id"]
    assert client.get(f"/campaigns/{nobody_id}", headers=lille).status_code == 404
    assert client.get(f"/campaigns/{nobody_id}", headers=dispatcher).status_code == 200
    mine = client.post("/campaigns", json=area_request(square(*LILLE_POINT)), headers=lille)
    assert mine.status_code == 201 and mine.json()["communes"] == [LILLE]


def test_contacts_of_another_commune_are_404_and_the_refusal_is_not_an_export(
    client: TestClient, people: dict[str, Any], mayors: dict[str, Any]
) -> None:
    lille, villeneuve = mayors[LILLE], mayors[VILLENEUVE]
    theirs = people["ids"][VILLENEUVE]

    for response in (
        client.get(f"/contacts/{theirs}/export", headers=lille),
        client.delete(f"/contacts/{theirs}", headers=lille),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == f"no contact {theirs}"
    assert client.get(f"/contacts/{theirs}/export", headers=villeneuve).status_code == 200
    seen = _audit(client, villeneuve)
    refusals = [e for e in seen if e["action"] == "refused"]
    assert [e["detail"]["attempted"] for e in refusals] == ["erase", "export"]
    exports = [e for e in seen if e["action"] == "contact_exported"]
    assert [e["actor"] for e in exports] == ["mayor-2"]


def test_a_mayor_opts_out_only_numbers_of_their_communes_and_it_is_audited_there(
    client: TestClient, people: dict[str, Any], mayors: dict[str, Any]
) -> None:
    lille, villeneuve = mayors[LILLE], mayors[VILLENEUVE]
    theirs, unknown = people["phones"][VILLENEUVE], mobile()

    for phone in (theirs, unknown):
        for path in ("/contacts/opt-out", "/contacts/opt-in"):
            refused = client.post(path, json={"phone": phone}, headers=lille)
            assert refused.status_code == 404, (path, refused.text)

    def sms_recipients() -> int:
        preview = client.post(
            "/campaigns/preview", json=area_request(square(*VILLENEUVE_POINT)), headers=villeneuve
        )
        return int(preview.json()["recipients"]["sms"])

    assert sms_recipients() == 1  # Lille's mayor changed nothing
    done = client.post("/contacts/opt-out", json={"phone": theirs}, headers=villeneuve)
    assert done.json() == {"phone": theirs, "opted_out": True}
    assert sms_recipients() == 0
    entries = _audit(client, villeneuve)
    assert entries[0]["action"] == "opt_out"
    assert entries[0]["detail"]["contacts"] == [people["ids"][VILLENEUVE]]
    assert theirs not in str(entries)  # the trail keeps the act, not the number
    assert all(e["action"] != "opt_out" for e in _audit(client, lille))


def _audit(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/audit", headers=headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries
